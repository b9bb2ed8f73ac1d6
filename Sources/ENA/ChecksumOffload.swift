import Network

/// The IPv4 header and TCP/UDP checksums the device inserts on transmit and verifies on
/// receive. Bounds checked against the frame and the IP length fields; no allocation.
enum ChecksumOffload {
    /// Where the L4 segment lies: from `l4Offset`, as long as the IP header says (clamped to the frame).
    private static func segmentLength(_ frame: UnsafeRawBufferPointer, _ h: FrameHeaders) -> Int? {
        guard h.ipVersion != 0, h.l4Offset > 0, h.l4Offset <= frame.count else { return nil }
        let ipLength =
            h.ipVersion == 4
            ? Int(frame.networkUInt16(at: h.l3Offset + 2)) - h.l3HeaderLength
            : Int(frame.networkUInt16(at: h.l3Offset + 4))
        guard ipLength >= 0, h.l4Offset + ipLength <= frame.count else { return nil }
        return ipLength
    }

    /// Offset of the checksum field in the L4 header, for TCP and UDP.
    private static func checksumField(_ h: FrameHeaders) -> Int? {
        if h.isTCP { return 16 }
        if h.isUDP { return 6 }
        return nil
    }

    /// The ones' complement sum over the pseudo header and the segment (checksum field included).
    private static func l4Sum(_ frame: UnsafeRawBufferPointer, _ h: FrameHeaders, length: Int) -> UInt16 {
        var sum = WordSum()
        if h.ipVersion == 4 {
            sum.add(doubleWord: h.ipv4Source)
            sum.add(doubleWord: h.ipv4Destination)
        } else {
            sum.add(UnsafeRawBufferPointer(rebasing: frame[(h.l3Offset + 8)..<(h.l3Offset + 40)]))
        }
        sum.add(word: UInt16(h.l4Protocol))
        sum.add(doubleWord: UInt32(length))
        sum.add(UnsafeRawBufferPointer(rebasing: frame[h.l4Offset..<(h.l4Offset + length)]))
        return sum.value
    }

    private static func ipv4HeaderSum(_ frame: UnsafeRawBufferPointer, _ h: FrameHeaders) -> UInt16 {
        guard h.l3Offset + h.l3HeaderLength <= frame.count else { return 0xFFFF }
        var sum = WordSum()
        sum.add(UnsafeRawBufferPointer(rebasing: frame[h.l3Offset..<(h.l3Offset + h.l3HeaderLength)]))
        return sum.value
    }

    /// Fills in the IPv4 header checksum (`l3`) and the TCP/UDP checksum (`l4`) of `frame`.
    static func insert(_ frame: UnsafeMutableRawBufferPointer, l3: Bool, l4: Bool) {
        let view = UnsafeRawBufferPointer(frame)
        guard let h = FrameHeaders.parse(view) else { return }
        if l3, h.ipVersion == 4, h.l3Offset + h.l3HeaderLength <= frame.count {
            frame.storeBytes(of: 0, toByteOffset: h.l3Offset + 10, as: UInt16.self)
            frame.storeBytes(of: ipv4HeaderSum(view, h).bigEndian, toByteOffset: h.l3Offset + 10, as: UInt16.self)
        }
        guard l4, !h.isFragment, let field = checksumField(h), let length = segmentLength(view, h),
            length >= field + 2
        else { return }
        frame.storeBytes(of: 0, toByteOffset: h.l4Offset + field, as: UInt16.self)
        var value = l4Sum(view, h, length: length)
        if h.isUDP, value == 0 { value = 0xFFFF }
        frame.storeBytes(of: value.bigEndian, toByteOffset: h.l4Offset + field, as: UInt16.self)
    }

    /// Verifies the checksums of a received frame.
    static func verify(_ frame: UnsafeRawBufferPointer, _ h: FrameHeaders) -> (l3Error: Bool, l4Checked: Bool, l4Error: Bool) {
        let l3Error = h.ipVersion == 4 && ipv4HeaderSum(frame, h) != 0
        guard !h.isFragment, let field = checksumField(h), let length = segmentLength(frame, h), length >= field + 2 else {
            return (l3Error, false, false)
        }
        if h.isUDP, h.ipVersion == 4, frame.networkUInt16(at: h.l4Offset + 6) == 0 { return (l3Error, true, false) }
        return (l3Error, true, l4Sum(frame, h, length: length) != 0)
    }
}

/// The RFC 1071 sum of the checksums above, eight bytes per step: runs are summed as native
/// 32-bit words and turned into the big-endian word sum when folded (RFC 1071 §2(B), byte order
/// independence). Every run but the last must have an even length, as here.
struct WordSum {
    private var sum: UInt64 = 0

    /// Adds a run of bytes in wire order.
    @inline(__always) mutating func add(_ bytes: UnsafeRawBufferPointer) {
        guard let base = bytes.baseAddress else { return }
        let n = bytes.count
        var native: UInt64 = 0
        var i = 0
        while i + 8 <= n {
            let v = base.loadUnaligned(fromByteOffset: i, as: UInt64.self)
            native &+= (v & 0xFFFF_FFFF) &+ (v >> 32)
            i += 8
        }
        if i + 4 <= n {
            native &+= UInt64(base.loadUnaligned(fromByteOffset: i, as: UInt32.self))
            i += 4
        }
        if i + 2 <= n {
            native &+= UInt64(base.loadUnaligned(fromByteOffset: i, as: UInt16.self))
            i += 2
        }
        if i < n { native &+= UInt64(UInt16(bigEndian: UInt16(base.load(fromByteOffset: i, as: UInt8.self)) << 8)) }
        sum &+= UInt64(UInt16(bigEndian: Self.fold(native)))
    }

    /// Adds one 16-bit word.
    @inline(__always) mutating func add(word: UInt16) { sum &+= UInt64(word) }

    /// Adds a 32-bit value as two words.
    @inline(__always) mutating func add(doubleWord: UInt32) { sum &+= UInt64(doubleWord >> 16) &+ UInt64(doubleWord & 0xFFFF) }

    /// The checksum: the ones' complement of the folded sum.
    var value: UInt16 { ~Self.fold(sum) }

    @inline(__always) private static func fold(_ value: UInt64) -> UInt16 {
        var total = value
        while total >> 16 != 0 { total = (total & 0xFFFF) &+ (total >> 16) }
        return UInt16(truncatingIfNeeded: total)
    }
}

extension UnsafeRawBufferPointer {
    /// The big-endian 16-bit value at `offset`; 0 when it does not fit.
    @inline(__always) func networkUInt16(at offset: Int) -> UInt16 {
        guard offset >= 0, offset + 2 <= count else { return 0 }
        return UInt16(self[offset]) << 8 | UInt16(self[offset + 1])
    }
}
