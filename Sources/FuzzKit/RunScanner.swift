#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// Finds which of a few fixed byte runs ("needles") occur in a buffer, in one pass.
///
/// The secret scans look for several needles (the plaintext marker, each half of the key) in
/// every block of a store after every input. Searching each needle with `memchr` + `memcmp`
/// reads every block once per needle and restarts `memchr` at every hit of the first byte.
/// This scanner reads one byte every `stride` bytes, where `stride` is the shortest needle's
/// length: any occurrence of a needle at least that long covers one such position `q`, at some
/// offset `j` of the needle with `needle[j] == bytes[q]`. A table from byte value to the
/// (needle, offset) pairs holding it gives the candidate starts `q - j`, each verified with
/// `memcmp`, so nothing is missed and nothing is reported that is not there.
struct RunScanner: Sendable {
    /// The needles, in the order their bits appear in ``presence(in:)``'s result.
    let needles: [[UInt8]]
    /// Bytes between two probed positions: the shortest needle's length.
    let stride: Int
    /// `candidates[starts[b] ..< starts[b + 1]]` are the (needle, offset) pairs with byte `b`.
    private let starts: [Int32]
    private let candidates: [(needle: Int32, offset: Int32)]

    /// A scanner for up to 64 non-empty `needles`.
    init(_ needles: [[UInt8]]) {
        let kept = Array(needles.filter { !$0.isEmpty }.prefix(64))
        self.needles = kept
        stride = kept.map(\.count).min() ?? 1
        var byByte = [[(needle: Int32, offset: Int32)]](repeating: [], count: 256)
        for (k, needle) in kept.enumerated() {
            for (j, byte) in needle.enumerated() { byByte[Int(byte)].append((Int32(k), Int32(j))) }
        }
        var starts: [Int32] = [0]
        for list in byByte { starts.append(starts[starts.count - 1] + Int32(list.count)) }
        self.starts = starts
        candidates = byByte.flatMap { $0 }
    }

    /// Bit `k` set when needle `k` occurs anywhere in `bytes` (0: none does).
    func presence(in bytes: UnsafeRawBufferPointer) -> UInt64 {
        guard let base = bytes.baseAddress, !needles.isEmpty else { return 0 }
        let n = bytes.count
        // Most of a store was never written. All-zero bytes hold exactly the all-zero needles
        // that fit; `memcmp` tells them apart without a probe loop (which, under libFuzzer's
        // comparison tracing, cost as much as the three `memchr` passes it replaced).
        if Self.allZero(base, n) {
            var zero: UInt64 = 0
            for (k, needle) in needles.enumerated() where needle.count <= n && !needle.contains(where: { $0 != 0 }) {
                zero |= 1 << UInt64(k)
            }
            return zero
        }
        var found: UInt64 = 0
        starts.withUnsafeBufferPointer { starts in
            candidates.withUnsafeBufferPointer { candidates in
                var q = stride - 1
                while q < n {
                    let b = Int(base.load(fromByteOffset: q, as: UInt8.self))
                    var c = Int(starts[b])
                    let end = Int(starts[b + 1])
                    while c < end {
                        let k = Int(candidates[c].needle)
                        let start = q - Int(candidates[c].offset)
                        c += 1
                        guard found & (1 << UInt64(k)) == 0 else { continue }
                        let needle = needles[k]
                        guard start >= 0, start <= n - needle.count else { continue }
                        let equal = needle.withUnsafeBytes { p in
                            guard let p = p.baseAddress else { return false }
                            return memcmp(base + start, p, needle.count) == 0
                        }
                        if equal { found |= 1 << UInt64(k) }
                    }
                    q += stride
                }
            }
        }
        return found
    }

    /// A page of zeroes to compare against.
    private static let zeroes = [UInt8](repeating: 0, count: 4096)

    /// Whether the `count` bytes at `base` are all zero.
    static func allZero(_ base: UnsafeRawPointer, _ count: Int) -> Bool {
        zeroes.withUnsafeBytes { z in
            guard let z = z.baseAddress else { return false }
            var at = 0
            while at < count {
                let chunk = min(count - at, 4096)
                if memcmp(base + at, z, chunk) != 0 { return false }
                at += chunk
            }
            return true
        }
    }
}
