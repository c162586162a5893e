/// GPT-2's reversible map between bytes and printable Unicode characters (`bytes_to_unicode`):
/// printable Latin-1 bytes map to themselves, the other 68 bytes to U+0100 onwards in order.
/// Byte-level BPE vocabularies spell tokens in these characters (a space is "Ġ").
enum ByteLevel {
    /// The character of each byte.
    static let byteToScalar: [Unicode.Scalar] = {
        var table = [Unicode.Scalar](repeating: " ", count: 256)
        var next: UInt32 = 256
        for b in 0..<256 {
            if (33...126).contains(b) || (161...172).contains(b) || (174...255).contains(b) {
                table[b] = Unicode.Scalar(UInt32(b))!
            } else {
                table[b] = Unicode.Scalar(next)!
                next += 1
            }
        }
        return table
    }()

    /// The byte of each character of the map (indexed by scalar value < 324), -1 elsewhere.
    static let scalarToByte: [Int16] = {
        var table = [Int16](repeating: -1, count: 324)
        for (b, s) in byteToScalar.enumerated() { table[Int(s.value)] = Int16(b) }
        return table
    }()

    /// A token's spelling as the bytes it stands for. Characters outside the map (as in added
    /// tokens written verbatim) contribute their own UTF-8 bytes.
    static func bytes(ofToken token: String) -> [UInt8] {
        var out: [UInt8] = []
        out.reserveCapacity(token.utf8.count)
        for s in token.unicodeScalars {
            if s.value < 324, scalarToByte[Int(s.value)] >= 0 {
                out.append(UInt8(scalarToByte[Int(s.value)]))
            } else {
                out.append(contentsOf: Array(String(s).utf8))
            }
        }
        return out
    }

    /// The byte-level spelling of raw bytes.
    static func spelling(of bytes: some Sequence<UInt8>) -> String {
        var s = String.UnicodeScalarView()
        for b in bytes { s.append(byteToScalar[Int(b)]) }
        return String(s)
    }
}
