/// Splits text into the pieces that byte-level BPE encodes separately, as Hugging Face
/// `tokenizers` and llama.cpp do: optionally every digit on its own first (SmolLM2's
/// `Digits(individual_digits=True)`, llama.cpp pre-type `smollm`), then the GPT-2 or LLaMA-3
/// regex, written here as a hand-made matcher over Unicode scalars (no regex engine).
struct PreTokenizer: Sendable, Equatable {
    enum DigitSplit: Sendable, Equatable {
        case none
        /// Every `\p{N}` character is its own piece.
        case individual
        /// Runs of `\p{N}` are pieces.
        case runs
    }

    enum Pattern: String, Sendable, Equatable {
        /// `'s|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+`
        case gpt2
        /// `(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}{1,3}| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+`
        case llama3
        /// No regex split (the whole segment is one piece).
        case none
    }

    var digits: DigitSplit = .none
    var pattern: Pattern = .gpt2
    /// ByteLevel's `add_prefix_space`: a space is put before each piece of the previous steps
    /// (special-token and digit splits) that does not start with one, before the regex runs.
    var addPrefixSpace = false

    static let gpt2Regex = #"'s|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+"#
    static let llama3Regex =
        #"(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}{1,3}| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+"#

    /// Character classes of the regexes.
    enum Class: UInt8 { case letter, number, space, other }

    @inline(__always)
    static func classify(_ s: Unicode.Scalar) -> Class {
        let v = s.value
        if v < 0x80 {
            if (v >= 0x61 && v <= 0x7A) || (v >= 0x41 && v <= 0x5A) { return .letter }
            if v >= 0x30 && v <= 0x39 { return .number }
            if v == 0x20 || (v >= 0x09 && v <= 0x0D) { return .space }
            return .other
        }
        let p = s.properties
        if p.isWhitespace { return .space }
        switch p.generalCategory {
        case .uppercaseLetter, .lowercaseLetter, .titlecaseLetter, .modifierLetter, .otherLetter: return .letter
        case .decimalNumber, .letterNumber, .otherNumber: return .number
        default: return .other
        }
    }

    /// Calls `emit` with each piece of `text[range]`, in order, as a range of the scalar array
    /// passed along (the input itself, or a copy with the prefix space put in front).
    func split(
        _ text: [Unicode.Scalar], _ classes: [Class], in range: Range<Int>,
        emit: ([Unicode.Scalar], Range<Int>) -> Void
    ) {
        switch digits {
        case .none:
            splitRegex(text, classes, range, emit)
        case .individual, .runs:
            var start = range.lowerBound
            var i = range.lowerBound
            while i < range.upperBound {
                if classes[i] == .number {
                    if start < i { splitRegex(text, classes, start..<i, emit) }
                    var j = i + 1
                    if digits == .runs { while j < range.upperBound && classes[j] == .number { j += 1 } }
                    splitRegex(text, classes, i..<j, emit)
                    i = j
                    start = j
                } else {
                    i += 1
                }
            }
            if start < range.upperBound { splitRegex(text, classes, start..<range.upperBound, emit) }
        }
    }

    /// ByteLevel's step on one piece of the previous step: the prefix space, then the regex.
    private func splitRegex(
        _ text: [Unicode.Scalar], _ classes: [Class], _ range: Range<Int>,
        _ emit: ([Unicode.Scalar], Range<Int>) -> Void
    ) {
        if addPrefixSpace && text[range.lowerBound] != " " {
            let t = [" "] + Array(text[range])
            let c = [Class.space] + Array(classes[range])
            regex(t, c, 0..<t.count) { emit(t, $0) }
        } else {
            regex(text, classes, range) { emit(text, $0) }
        }
    }

    private func regex(_ text: [Unicode.Scalar], _ classes: [Class], _ range: Range<Int>, _ emit: (Range<Int>) -> Void)
    {
        switch pattern {
        case .none: emit(range)
        case .gpt2: Self.gpt2(text, classes, range, emit)
        case .llama3: Self.llama3(text, classes, range, emit)
        }
    }

    /// Length of a contraction `'s|'t|'re|'ve|'m|'ll|'d` at `i`, or 0.
    @inline(__always)
    static func contraction(_ text: [Unicode.Scalar], _ i: Int, _ end: Int, caseInsensitive: Bool) -> Int {
        guard text[i] == "'", i + 1 < end else { return 0 }
        func lower(_ s: Unicode.Scalar) -> UInt32 {
            caseInsensitive && s.value >= 0x41 && s.value <= 0x5A ? s.value + 32 : s.value
        }
        let a = lower(text[i + 1])
        if a == 0x73 || a == 0x74 || a == 0x6D || a == 0x64 { return 2 }  // s t m d
        guard i + 2 < end else { return 0 }
        let b = lower(text[i + 2])
        if (a == 0x72 && b == 0x65) || (a == 0x76 && b == 0x65) || (a == 0x6C && b == 0x6C) { return 3 }  // re ve ll
        return 0
    }

    /// End of the run of `cls` starting at `i`.
    @inline(__always)
    static func run(_ classes: [Class], _ i: Int, _ end: Int, _ cls: Class) -> Int {
        var j = i
        while j < end && classes[j] == cls { j += 1 }
        return j
    }

    /// End of the run of characters that are not letters, numbers or whitespace.
    @inline(__always)
    static func otherRun(_ classes: [Class], _ i: Int, _ end: Int) -> Int { run(classes, i, end, .other) }

    /// `\s+(?!\S)|\s+` at a whitespace character `i`.
    @inline(__always)
    static func whitespace(_ classes: [Class], _ i: Int, _ end: Int) -> Int {
        let j = run(classes, i, end, .space)
        if j == end { return j }
        return j - 1 > i ? j - 1 : j
    }

    static func gpt2(_ text: [Unicode.Scalar], _ classes: [Class], _ range: Range<Int>, _ emit: (Range<Int>) -> Void) {
        var i = range.lowerBound
        let end = range.upperBound
        while i < end {
            var j: Int
            let c = contraction(text, i, end, caseInsensitive: false)
            if c > 0 {
                j = i + c
            } else {
                // ` ?X+`: an optional literal space before a run of letters, numbers or other.
                let spaced = text[i] == " " && i + 1 < end && classes[i + 1] != .space
                let k = spaced ? i + 1 : i
                switch classes[k] {
                case .letter: j = run(classes, k, end, .letter)
                case .number: j = run(classes, k, end, .number)
                case .other: j = otherRun(classes, k, end)
                case .space: j = whitespace(classes, i, end)
                }
            }
            emit(i..<j)
            i = j
        }
    }

    static func llama3(_ text: [Unicode.Scalar], _ classes: [Class], _ range: Range<Int>, _ emit: (Range<Int>) -> Void)
    {
        var i = range.lowerBound
        let end = range.upperBound
        func isNewline(_ k: Int) -> Bool { text[k] == "\n" || text[k] == "\r" }
        while i < end {
            var j: Int
            let c = contraction(text, i, end, caseInsensitive: true)
            if c > 0 {
                j = i + c
            } else if classes[i] == .letter {
                j = run(classes, i, end, .letter)
            } else if classes[i] != .number && !isNewline(i) && i + 1 < end && classes[i + 1] == .letter {
                j = run(classes, i + 1, end, .letter)  // [^\r\n\p{L}\p{N}]?\p{L}+
            } else if classes[i] == .number {
                j = i + 1
                while j < end && j < i + 3 && classes[j] == .number { j += 1 }
            } else if classes[i] == .other || (text[i] == " " && i + 1 < end && classes[i + 1] == .other) {
                let k = classes[i] == .other ? i : i + 1
                j = otherRun(classes, k, end)
                while j < end && isNewline(j) { j += 1 }
            } else {
                // whitespace: \s*[\r\n]+ | \s+(?!\S) | \s+
                let runEnd = run(classes, i, end, .space)
                var lastNewline = -1
                for k in i..<runEnd where isNewline(k) { lastNewline = k }
                if lastNewline >= 0 {
                    j = lastNewline + 1
                } else {
                    j = whitespace(classes, i, end)
                }
            }
            emit(i..<j)
            i = j
        }
    }
}
