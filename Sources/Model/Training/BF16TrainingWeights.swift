import CKernels
import Foundation

/// The frozen matrices of one `ModelWeights` rounded to bfloat16 and packed for the AMX product,
/// each both ways: every projection as `W^T` (forward, `y = x W^T`) and as `W` (backward,
/// `dx = dy W`), and the output matrix `E` as `E^T` (`logits = h E^T`) and `E` (`dh = dlogits E`).
/// About 4 bytes per frozen matrix weight (540 MB for SmolLM2-135M).
///
/// Built once per weights and shared by every trainer over them (`shared(for:)`), across rounds
/// and clients. `@unchecked Sendable`: the buffers are written only in `init`, before the object is
/// published, then only read (by any number of passes at once) until `deinit` frees them.
public final class BF16TrainingWeights: @unchecked Sendable {
    struct PackedLinear { let forward: BF16Operand; let backward: BF16Operand }

    /// Packed projections per layer.
    let layers: [[Projection: PackedLinear]]
    /// The output matrix (LM head or tied embedding) both ways.
    let output: PackedLinear
    private let buffers: [UnsafeMutablePointer<UInt16>]
    /// The weights packed here, held so their storage (whose addresses key the cache) cannot be
    /// freed and reused by other weights while this object lives. Copy-on-write: costs no memory.
    private let source: ModelWeights
    /// Bytes of packed bfloat16 data.
    public let byteCount: Int

    /// Packs every projection and the output matrix of `weights` (plain C, spread over the cores).
    public init(weights: ModelWeights) {
        source = weights
        var buffers: [UnsafeMutablePointer<UInt16>] = []
        var jobs: [(src: [Float], transposed: Bool, rows: Int, cols: Int, out: UnsafeMutablePointer<UInt16>)] = []
        var bytes = 0
        /// Both packings of `w[outF, inF]`.
        func both(_ w: Tensor, outF: Int, inF: Int) -> PackedLinear {
            func make(k: Int, n: Int, transposed: Bool) -> BF16Operand {
                let count = Int(ck_bf16_packed_count(Int32(k), Int32(n)))
                let p = UnsafeMutablePointer<UInt16>.allocate(capacity: count)
                buffers.append(p)
                bytes += 2 * count
                jobs.append((w.data, transposed, outF, inF, p))
                return BF16Operand(pointer: UnsafePointer(p), k: k, n: n)
            }
            return PackedLinear(forward: make(k: inF, n: outF, transposed: true),
                                backward: make(k: outF, n: inF, transposed: false))
        }
        layers = weights.layers.map { layer in
            layer.projections.mapValues { both($0.weight, outF: $0.outFeatures, inF: $0.inFeatures) }
        }
        let e = weights.outputMatrix
        output = both(e, outF: e.rows, inF: e.columns)
        self.buffers = buffers
        byteCount = bytes
        // w is [rows, cols] = [out, in]: forward packs w^T (k = in, n = out), backward packs w (k = out, n = in).
        Parallel.forEach(jobs.count) { i in
            let job = jobs[i]
            job.src.withUnsafeBufferPointer { w in
                if job.transposed {
                    ck_bf16_pack_transposed(w.baseAddress!, Int32(job.rows), Int32(job.cols), Int32(job.cols), job.out)
                } else {
                    ck_bf16_pack(w.baseAddress!, Int32(job.rows), Int32(job.cols), Int32(job.cols), job.out)
                }
            }
        }
    }

    deinit { for p in buffers { p.deallocate() } }

    // MARK: sharing

    /// The packed copy of `weights`, built on first use and reused while any trainer holds it:
    /// trainers (clients) over the same weights storage share one copy. Weights are matched by the
    /// storage of their matrices, so a modified copy (e.g. an adapter merged in) gets its own.
    public static func shared(for weights: ModelWeights) -> BF16TrainingWeights {
        cache.packed(for: weights)
    }

    private static let cache = Cache()

    /// Weak references to the live packed copies, by the addresses of their source matrices.
    private final class Cache: @unchecked Sendable {  // every access holds `lock`
        private struct Weak { weak var value: BF16TrainingWeights? }
        private let lock = NSLock()
        private var entries: [[Int]: Weak] = [:]

        func packed(for weights: ModelWeights) -> BF16TrainingWeights {
            let key = Self.key(weights)
            lock.lock()
            defer { lock.unlock() }
            entries = entries.filter { $0.value.value != nil }
            if let hit = entries[key]?.value { return hit }
            // Built under the lock: clients starting together wait for one copy instead of making several.
            let made = BF16TrainingWeights(weights: weights)
            entries[key] = Weak(value: made)
            return made
        }

        /// Address and size of every packed matrix's storage, in a fixed order.
        static func key(_ w: ModelWeights) -> [Int] {
            func id(_ t: Tensor) -> [Int] {
                t.data.withUnsafeBufferPointer { [Int(bitPattern: $0.baseAddress), $0.count, t.rows] }
            }
            var key = id(w.outputMatrix)
            for layer in w.layers {
                for p in layer.projections.keys.sorted(by: { $0.rawValue < $1.rawValue }) { key += id(layer.projections[p]!.weight) }
            }
            return key
        }
    }
}
