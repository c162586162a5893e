import ArgumentParser
import Foundation
import Transport
import TransportBench

/// `fedhds transport-bench` (hidden): the Swift half of bench/transport.sh; prints JSON.
struct TransportBenchCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "transport-bench",
        abstract: "Measure ZeroMQ transport speed over tcp loopback (used by bench/transport.sh).",
        shouldDisplay: false
    )

    @Option(help: "Number of 2 MB messages.") var largeCount = 2000
    @Option(help: "Number of 64 B messages.") var smallCount = 200_000
    @Option(help: "Number of 64 B round trips.") var roundTrips = 5000
    @Option(
        help: "Measure only these (comma-separated keys of the printed JSON, e.g. endpoint_large_GBps; for profiling).")
    var only: String?

    @Option(help: "Instead of measuring: stream update messages to this server endpoint until killed (a test helper).")
    var streamTo: String?
    @Option(help: "Worker name when streaming.") var name = "streamer"
    @Option(help: "Megabytes per streamed message.") var streamMegabytes = 4
    @Option(help: "Heartbeat interval when streaming, ms.") var heartbeatMs = 100
    @Option(help: "Lease when streaming, ms.") var leaseMs = 2000

    func run() async throws {
        if let streamTo {
            let liveness = Liveness(
                heartbeatInterval: .milliseconds(heartbeatMs), lease: .milliseconds(leaseMs),
                zmtpInterval: .milliseconds(heartbeatMs), zmtpTimeout: .milliseconds(leaseMs))
            try await TransportBenchmark.streamUpdates(
                to: streamTo, name: name, floats: streamMegabytes << 18, liveness: liveness)
            return
        }
        let large = 2 << 20
        let keys = only.map { Set($0.split(separator: ",").map(String.init)) }
        var r: [String: Double] = [:]
        func measure(_ key: String, _ body: () async throws -> Double) async rethrows {
            guard keys?.contains(key) ?? true else { return }
            FileHandle.standardError.write(Data((key + "\n").utf8))
            r[key] = try await body()
        }
        try await measure("socket_large_GBps") {
            try TransportBenchmark.socketThroughput(bytes: large, count: largeCount, highWaterMark: 64) * Double(large)
                / 1e9
        }
        try await measure("socket_small_Mmsgps") {
            try TransportBenchmark.socketThroughput(bytes: 64, count: smallCount, highWaterMark: 100_000) / 1e6
        }
        try await measure("socket_rtt_us") {
            try TransportBenchmark.socketRoundTrip(bytes: 64, count: roundTrips) * 1e6
        }
        // Endpoint messages of the same sizes: an update whose adapter frame is 2 MB, and a 64-byte envelope.
        let update = Message.update(
            ClientUpdate(
                round: 1, clientID: 1, adapter: [Float](repeating: 0.25, count: large / 4),
                trainSamples: 1, trainBatches: 1, trainLoss: 1))
        let small = Message.shutdown(Shutdown(reason: String(repeating: "x", count: 44)))  // 16 + 4 + 44 = 64 B
        try await measure("endpoint_large_GBps") {
            try await TransportBenchmark.endpointThroughput(message: update, count: largeCount, highWaterMark: 64)
                * Double(large) / 1e9
        }
        try await measure("endpoint_small_Mmsgps") {
            try await TransportBenchmark.endpointThroughput(
                message: small, count: smallCount / 3, highWaterMark: 100_000) / 1e6
        }
        try await measure("endpoint_rtt_us") {
            try await TransportBenchmark.endpointRoundTrip(message: small, count: roundTrips) * 1e6
        }
        try await measure("endpoint_pool_rtt_us") {
            try await TransportBenchmark.endpointRoundTrip(message: small, count: roundTrips, onSocketThreads: false)
                * 1e6
        }
        let data = try JSONSerialization.data(withJSONObject: r, options: [.sortedKeys])
        print(String(decoding: data, as: UTF8.self))
    }
}
