import Foundation
import Model
import Testing
@testable import Actors

/// `precision = "bf16"` through a whole run: the decoder and every trainer use the packed
/// bfloat16 weights (where the CPU has AMX or AVX512-BF16), the run completes, and its training differs from
/// the float32 run only by rounding.
@Suite(.serialized) struct PrecisionEndToEndTests {
    @Test func bf16RunTrainsAndEvaluatesLikeTheFloat32Run() async throws {
        let threads = BLASThreads.count
        defer { BLASThreads.set(threads) }  // a bf16 ModelCompute sets OpenBLAS to 1 thread, process-wide
        var losses: [Precision: Double] = [:]
        for precision in [Precision.float32, .bfloat16] {
            let dir = Harness.tempDir("precision-\(precision.rawValue)")
            defer { try? FileManager.default.removeItem(atPath: dir) }
            var c = try RunConfig.load(path: Harness.smoke)
            c.method = .fedit
            c.precision = precision
            c.rounds = 1
            c.maxSamplesPerClient = 20
            c.evalBefore = false
            c.evalSamples = 2
            c.maxNewTokens = 4
            let compute = try await ModelCompute.make(config: c, configPath: Harness.smoke)
            let packed = precision == .bfloat16 && Precision.bfloat16.effective == .bfloat16
            #expect(compute.base.decoder.effectivePrecision == (packed ? .bfloat16 : .float32))
            #expect((compute.base.decoder.runtime.prepareForTraining() != nil) == packed)
            _ = try await Coordinator.runInProcess(
                config: c, compute: compute,
                options: RunOptions(output: dir, showProgress: false))
            let m = try Harness.metrics(dir)
            #expect(m.count == 1 && m[0].faults.isEmpty, "\(m.first?.faults ?? [])")
            let loss = try #require(m[0].trainLoss)
            #expect(loss.isFinite && loss > 0)
            losses[precision] = loss
        }
        let f32 = try #require(losses[.float32]), b16 = try #require(losses[.bfloat16])
        print("mean training loss: fp32 \(f32), bf16 \(b16) (\(Precision.bfloat16.kernelPath))")
        #expect(abs(b16 - f32) / f32 < 0.02)
        if Precision.bfloat16.effective == .float32 { #expect(b16 == f32) }
    }
}
