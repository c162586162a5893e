@testable import Transport

/// Random frame sets (one in four) and mutated valid messages (flipped bytes, truncation, extra
/// bytes, extra or missing frames) for fuzzing the decoder and a live server.
enum FuzzFrames {
    static func seeds() throws -> [[[UInt8]]] {
        try SampleMessages.all().map { try MessageCodec.encode($0) }
    }

    static func make(_ rng: inout SplitMix64, from seeds: [[[UInt8]]]) -> [[UInt8]] {
        if rng.next() % 4 == 0 {
            let n = Int(rng.next() % 3)
            return (0..<n).map { _ in (0..<Int(rng.next() % 64)).map { _ in UInt8(truncatingIfNeeded: rng.next()) } }
        }
        var frames = seeds[Int(rng.next() % UInt64(seeds.count))]
        for _ in 0..<(1 + Int(rng.next() % 4)) {
            let f = Int(rng.next() % UInt64(frames.count))
            switch rng.next() % 5 {
            case 0, 1:
                if !frames[f].isEmpty {
                    frames[f][Int(rng.next() % UInt64(frames[f].count))] = UInt8(truncatingIfNeeded: rng.next())
                }
            case 2:
                if !frames[f].isEmpty { frames[f].removeLast(Int(rng.next() % UInt64(frames[f].count)) + 1) }
            case 3:
                frames[f].append(
                    contentsOf: (0..<Int(rng.next() % 9)).map { _ in UInt8(truncatingIfNeeded: rng.next()) })
            default:
                if rng.next() % 2 == 0 { frames.append([]) } else if frames.count > 1 { frames.removeLast() }
            }
        }
        return frames
    }
}
