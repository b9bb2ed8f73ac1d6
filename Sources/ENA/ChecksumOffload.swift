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
        var sum = InternetChecksum()
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
        var sum = InternetChecksum()
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

extension UnsafeRawBufferPointer {
    /// The big-endian 16-bit value at `offset`; 0 when it does not fit.
    @inline(__always) func networkUInt16(at offset: Int) -> UInt16 {
        guard offset >= 0, offset + 2 <= count else { return 0 }
        return UInt16(self[offset]) << 8 | UInt16(self[offset + 1])
    }
}
