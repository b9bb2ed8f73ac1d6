/// The IPv4 header and TCP/UDP checksums the device inserts on transmit and verifies on
/// receive. Bounds checked against the frame and the IP length fields; no allocation.
enum ChecksumOffload {
    /// Where the L4 segment lies: from `l4Offset`, as long as the IP header says (clamped to the frame).
    @inline(__always)
    private static func segmentLength(_ base: UnsafeRawPointer, count: Int, _ p: PacketLayout) -> Int? {
        guard p.ipVersion != 0, p.l4Offset > 0, p.l4Offset <= count else { return nil }
        // A complete IP header is present (`ipVersion` says so), length fields included.
        let ipLength =
            p.ipVersion == 4
            ? Int(base.networkUInt16(at: p.l3Offset &+ 2)) &- p.l3HeaderLength
            : Int(base.networkUInt16(at: p.l3Offset &+ 4))
        guard ipLength >= 0, p.l4Offset &+ ipLength <= count else { return nil }
        return ipLength
    }

    /// Offset of the checksum field in the L4 header, for TCP and UDP.
    @inline(__always) private static func checksumField(_ p: PacketLayout) -> Int? {
        if p.isTCP { return 16 }
        if p.isUDP { return 6 }
        return nil
    }

    /// The ones' complement sum over the pseudo header and the segment (checksum field included).
    @inline(__always)
    private static func l4Sum(_ base: UnsafeRawPointer, _ p: PacketLayout, length: Int) -> UInt16 {
        var sum = WordSum()
        // IPv4: source and destination (8 bytes at 12); IPv6: the two addresses (32 bytes at 8).
        if p.ipVersion == 4 {
            sum.add(nativeQuad: base.loadUnaligned(fromByteOffset: p.l3Offset &+ 12, as: UInt64.self))
        } else {
            sum.add(UnsafeRawBufferPointer(start: base + (p.l3Offset &+ 8), count: 32))
        }
        sum.add(word: UInt16(p.l4Protocol))
        sum.add(doubleWord: UInt32(truncatingIfNeeded: length))
        sum.add(UnsafeRawBufferPointer(start: base + p.l4Offset, count: length))
        return sum.value
    }

    @inline(__always)
    private static func ipv4HeaderSum(_ base: UnsafeRawPointer, count: Int, _ p: PacketLayout) -> UInt16 {
        guard p.l3Offset &+ p.l3HeaderLength <= count else { return 0xFFFF }
        var sum = WordSum()
        if p.l3HeaderLength == 20 {
            // No options (nearly every packet): three loads instead of the general loop.
            sum.add(nativeQuad: base.loadUnaligned(fromByteOffset: p.l3Offset, as: UInt64.self))
            sum.add(nativeQuad: base.loadUnaligned(fromByteOffset: p.l3Offset &+ 8, as: UInt64.self))
            sum.add(nativeDouble: base.loadUnaligned(fromByteOffset: p.l3Offset &+ 16, as: UInt32.self))
        } else {
            sum.add(UnsafeRawBufferPointer(start: base + p.l3Offset, count: p.l3HeaderLength))
        }
        return sum.value
    }

    /// Fills in the IPv4 header checksum (`l3`) and the TCP/UDP checksum (`l4`) of `frame`.
    static func insert(_ frame: UnsafeMutableRawBufferPointer, l3: Bool, l4: Bool) {
        let view = UnsafeRawBufferPointer(frame)
        guard let p = PacketLayout(view), let base = view.baseAddress else { return }
        if l3, p.ipVersion == 4, p.l3Offset + p.l3HeaderLength <= frame.count {
            frame.storeBytes(of: 0, toByteOffset: p.l3Offset + 10, as: UInt16.self)
            frame.storeBytes(
                of: ipv4HeaderSum(base, count: frame.count, p).bigEndian, toByteOffset: p.l3Offset + 10, as: UInt16.self)
        }
        guard l4, !p.isFragment, let field = checksumField(p), let length = segmentLength(base, count: frame.count, p),
            length >= field + 2
        else { return }
        frame.storeBytes(of: 0, toByteOffset: p.l4Offset + field, as: UInt16.self)
        var value = l4Sum(base, p, length: length)
        if p.isUDP, value == 0 { value = 0xFFFF }
        frame.storeBytes(of: value.bigEndian, toByteOffset: p.l4Offset + field, as: UInt16.self)
    }

    /// Verifies the checksums of a received frame whose layout is `p`.
    @inline(__always)
    static func verify(_ frame: UnsafeRawBufferPointer, _ p: PacketLayout) -> (l3Error: Bool, l4Checked: Bool, l4Error: Bool) {
        if p.ipVersion == 4, p.l3HeaderLength == 20, let base = frame.baseAddress {
            return verifyIPv4(base, count: frame.count, p)
        }
        return verifyGeneral(frame, p)
    }

    /// ``verify(_:_:)`` for IPv4 without options (nearly every packet): the header is loaded
    /// once and serves both the header checksum and the pseudo header's addresses; the results
    /// are those of ``verifyGeneral(_:_:)``, which `ChecksumOffloadTests` checks.
    @inline(__always)
    static func verifyIPv4(_ base: UnsafeRawPointer, count: Int, _ p: PacketLayout) -> (
        l3Error: Bool, l4Checked: Bool, l4Error: Bool
    ) {
        // PacketLayout saw the 20-byte header inside the frame.
        let l3 = base + p.l3Offset
        let q0 = l3.loadUnaligned(as: UInt64.self)
        let q1 = l3.loadUnaligned(fromByteOffset: 8, as: UInt64.self)
        let destination = l3.loadUnaligned(fromByteOffset: 16, as: UInt32.self)
        var header = WordSum()
        header.add(nativeQuad: q0)
        header.add(nativeQuad: q1)
        header.add(nativeDouble: destination)
        let l3Error = header.value != 0
        let field = p.l4Protocol == PacketLayout.tcp ? 16 : 6
        let totalLength = Int(UInt16(bigEndian: UInt16(truncatingIfNeeded: q0 >> 16)))
        let length = totalLength &- 20
        guard !p.isFragment, p.l4Protocol == PacketLayout.tcp || p.l4Protocol == PacketLayout.udp, length >= field &+ 2,
            p.l4Offset &+ length <= count
        else { return (l3Error, false, false) }
        let l4 = base + p.l4Offset
        if p.l4Protocol == PacketLayout.udp, l4.loadUnaligned(fromByteOffset: 6, as: UInt16.self) == 0 {
            return (l3Error, true, false)
        }
        var sum = WordSum()
        sum.add(nativeDouble: UInt32(truncatingIfNeeded: q1 >> 32))  // source address
        sum.add(nativeDouble: destination)
        sum.add(word: UInt16(p.l4Protocol))
        sum.add(word: UInt16(truncatingIfNeeded: length))
        sum.add(UnsafeRawBufferPointer(start: l4, count: length))
        return (l3Error, true, sum.value != 0)
    }

    /// ``verify(_:_:)`` for every layout.
    static func verifyGeneral(_ frame: UnsafeRawBufferPointer, _ p: PacketLayout) -> (
        l3Error: Bool, l4Checked: Bool, l4Error: Bool
    ) {
        guard let base = frame.baseAddress else { return (false, false, false) }
        let l3Error = p.ipVersion == 4 && ipv4HeaderSum(base, count: frame.count, p) != 0
        guard !p.isFragment, let field = checksumField(p), let length = segmentLength(base, count: frame.count, p),
            length >= field + 2
        else {
            return (l3Error, false, false)
        }
        if p.isUDP, p.ipVersion == 4, base.networkUInt16(at: p.l4Offset &+ 6) == 0 { return (l3Error, true, false) }
        return (l3Error, true, l4Sum(base, p, length: length) != 0)
    }
}

/// The RFC 1071 sum of the checksums above, eight bytes per step: everything is summed as
/// native-order words into one accumulator and turned into the big-endian word sum once, when
/// folded (RFC 1071 §2(B), byte order independence). Every run but the last must have an even
/// length, and words are added at even positions, as here.
///
/// The accumulator is a 64-bit ones' complement sum: each add takes its carry back in (one
/// add with carry, RFC 1071 §2(C)). 2^64 - 1 is a multiple of 2^16 - 1, so the folded value is
/// the 16-bit sum's; the accumulator is zero only when everything added was.
struct WordSum {
    /// Native-order sum of everything added (a wire-order word loads as its byte swap on a
    /// little-endian host); folded and swapped back in ``value``.
    private var native: UInt64 = 0

    /// The accumulator: the native-order ones' complement sum, unfolded.
    @inline(__always) var accumulated: UInt64 { native }

    /// Adds `v` with the end-around carry.
    @inline(__always) private mutating func accumulate(_ v: UInt64) {
        let (sum, carry) = native.addingReportingOverflow(v)
        native = sum &+ (carry ? 1 : 0)
    }

    /// Adds a run of bytes in wire order.
    @inline(__always) mutating func add(_ bytes: UnsafeRawBufferPointer) {
        guard let base = bytes.baseAddress else { return }
        let n = bytes.count
        var i = 0
        while i &+ 16 <= n {
            accumulate(base.loadUnaligned(fromByteOffset: i, as: UInt64.self))
            accumulate(base.loadUnaligned(fromByteOffset: i &+ 8, as: UInt64.self))
            i &+= 16
        }
        if i &+ 8 <= n {
            accumulate(base.loadUnaligned(fromByteOffset: i, as: UInt64.self))
            i &+= 8
        }
        if n >= 8 {
            // The last 1-7 bytes: the run's last eight loaded at once, the bytes already added
            // shifted out. The first remaining byte is at an even offset and lands in the low
            // byte, as the word-wise tail below adds it.
            let rest = n &- i
            if rest > 0 {
                accumulate(base.loadUnaligned(fromByteOffset: n &- 8, as: UInt64.self) &>> UInt64(64 &- 8 &* rest))
            }
            return
        }
        // A run under eight bytes sums to under 2^33: one add.
        var tail: UInt64 = 0
        if i &+ 4 <= n {
            tail = UInt64(base.loadUnaligned(fromByteOffset: i, as: UInt32.self))
            i &+= 4
        }
        if i &+ 2 <= n {
            tail &+= UInt64(base.loadUnaligned(fromByteOffset: i, as: UInt16.self))
            i &+= 2
        }
        if i < n { tail &+= UInt64(UInt16(bigEndian: UInt16(base.load(fromByteOffset: i, as: UInt8.self)) << 8)) }
        accumulate(tail)
    }

    /// Adds eight bytes in wire order, loaded as a native 64-bit value.
    @inline(__always) mutating func add(nativeQuad v: UInt64) { accumulate(v) }

    /// Adds four bytes in wire order, loaded as a native 32-bit value.
    @inline(__always) mutating func add(nativeDouble v: UInt32) { accumulate(UInt64(v)) }

    /// Adds one 16-bit word.
    @inline(__always) mutating func add(word: UInt16) { accumulate(UInt64(word.bigEndian)) }

    /// Adds a 32-bit value as two words.
    @inline(__always) mutating func add(doubleWord: UInt32) {
        accumulate(
            UInt64(UInt16(truncatingIfNeeded: doubleWord >> 16).bigEndian)
                &+ UInt64(UInt16(truncatingIfNeeded: doubleWord).bigEndian))
    }

    /// The checksum: the ones' complement of the folded sum.
    @inline(__always) var value: UInt16 {
        // 64 -> 32 -> 16 bits, each step an add with the end-around carry (a non-zero sum stays
        // non-zero, and each modulus is a multiple of 2^16 - 1).
        let (half, carry32) = UInt32(truncatingIfNeeded: native).addingReportingOverflow(UInt32(truncatingIfNeeded: native >> 32))
        let total32 = half &+ (carry32 ? 1 : 0)
        let (word, carry16) = UInt16(truncatingIfNeeded: total32).addingReportingOverflow(
            UInt16(truncatingIfNeeded: total32 >> 16))
        let total = word &+ (carry16 ? 1 : 0)
        return ~UInt16(bigEndian: total)
    }
}
