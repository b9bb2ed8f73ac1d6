/// The Rx completion's status word for a received frame: L3 and L4 protocol indices, the IPv4
/// fragment bit and, with the Rx checksum offloads enabled, the L3 and L4 checksum results.
///
/// Bits (`ena_eth_io_rx_cdesc_base`): 4:0 L3 protocol index, 12:8 L4 protocol index, 13 L3
/// checksum error, 14 L4 checksum error, 15 IPv4 fragment, 16 L4 checksum checked. `offloads`
/// is the enabled Rx offload bitmap (bit 0: IPv4 header checksum, bit 1: L4 checksum over IPv4,
/// bit 2: L4 checksum over IPv6).
enum ReceiveStatus {
    /// The status word. IPv4 without options carrying TCP or UDP, not a fragment (nearly every
    /// packet) takes ``ipv4Transport(_:count:l4Offset:tcp:offloads:)``; everything else
    /// ``general(_:_:offloads:)``. Both give the same word (`ReceiveStatusTests`).
    @inline(__always)
    static func word(_ frame: UnsafeRawBufferPointer, _ p: PacketLayout, offloads: UInt32) -> UInt32 {
        if p.ipVersion == 4, p.l3HeaderLength == 20, !p.isFragment, let base = frame.baseAddress {
            if p.l4Protocol == PacketLayout.udp {
                return ipv4Transport(base, count: frame.count, l4Offset: p.l4Offset, tcp: false, offloads: offloads)
            }
            if p.l4Protocol == PacketLayout.tcp {
                return ipv4Transport(base, count: frame.count, l4Offset: p.l4Offset, tcp: true, offloads: offloads)
            }
        }
        return general(frame, p, offloads: offloads)
    }

    /// ``word(_:_:offloads:)`` for a TCP (`tcp`) or UDP segment at `l4Offset` in an IPv4 packet
    /// without options that is not a fragment (the caller checked all of that and that the
    /// 20-byte header lies in the frame). Only what the enabled offloads need is computed: the
    /// header is loaded once for the header sum, the segment length and the pseudo header's
    /// addresses, the segment is summed eight bytes per step (its length is at least eight
    /// here), and each sum is checked without folding (``WordSum/verifies``).
    @inline(__always)
    static func ipv4Transport(
        _ base: UnsafeRawPointer, count: Int, l4Offset: Int, tcp: Bool, offloads: UInt32
    ) -> UInt32 {
        var status = UInt32(ENAProtocolIndex.ipv4) | UInt32(tcp ? ENAProtocolIndex.tcp : ENAProtocolIndex.udp) << 8
        guard offloads & 0x3 != 0 else { return status }
        let l3 = base + (l4Offset &- 20)
        let q0 = l3.loadUnaligned(as: UInt64.self)
        let q1 = l3.loadUnaligned(fromByteOffset: 8, as: UInt64.self)
        let destination = l3.loadUnaligned(fromByteOffset: 16, as: UInt32.self)
        if offloads & 0x1 != 0 {
            var header = WordSum()
            header.add(nativeQuad: q0)
            header.add(nativeQuad: q1)
            header.add(nativeDouble: destination)
            if !header.verifies { status |= Self.l3Error }
        }
        guard offloads & 0x2 != 0 else { return status }
        // Total length (bytes 2-3 of the header) less the header: the segment, checksum field
        // included, must be in the frame.
        let length = Int(UInt16(bigEndian: UInt16(truncatingIfNeeded: q0 >> 16))) &- 20
        guard length >= (tcp ? 18 : 8), l4Offset &+ length <= count else { return status }
        status |= Self.l4Checked
        let l4 = base + l4Offset
        // A UDP checksum of zero: none was sent, nothing to verify.
        if !tcp, l4.loadUnaligned(fromByteOffset: 6, as: UInt16.self) == 0 { return status }
        var sum = WordSum()
        sum.add(nativeDouble: UInt32(truncatingIfNeeded: q1 >> 32))  // source address
        sum.add(nativeDouble: destination)
        sum.add(word: tcp ? UInt16(PacketLayout.tcp) : UInt16(PacketLayout.udp))
        sum.add(word: UInt16(truncatingIfNeeded: length))
        sum.add(atLeastEight: l4, count: length)
        if !sum.verifies { status |= Self.l4Error }
        return status
    }

    /// ``word(_:_:offloads:)`` for every layout (out of line: the frame path keeps its registers).
    @inline(never)
    static func general(_ frame: UnsafeRawBufferPointer, _ p: PacketLayout, offloads: UInt32) -> UInt32 {
        guard p.ipVersion != 0 else { return 0 }
        var status = UInt32(p.ipVersion == 4 ? ENAProtocolIndex.ipv4 : ENAProtocolIndex.ipv6)
        if p.isTCP { status |= UInt32(ENAProtocolIndex.tcp) << 8 }
        if p.isUDP { status |= UInt32(ENAProtocolIndex.udp) << 8 }
        if p.isFragment { status |= Self.fragment }
        let l4Offload = offloads & (p.ipVersion == 4 ? 0x2 : 0x4) != 0
        guard offloads & 0x1 != 0 || l4Offload else { return status }
        let result = ChecksumOffload.verify(frame, p)
        if offloads & 0x1 != 0, result.l3Error { status |= Self.l3Error }
        if l4Offload, result.l4Checked {
            status |= Self.l4Checked
            if result.l4Error { status |= Self.l4Error }
        }
        return status
    }

    static let l3Error: UInt32 = 1 << 13
    static let l4Error: UInt32 = 1 << 14
    static let fragment: UInt32 = 1 << 15
    static let l4Checked: UInt32 = 1 << 16
}

extension WordSum {
    /// Whether the data summed verifies: its checksum (``value``) is 0, that is the 16-bit ones'
    /// complement sum is 0xFFFF. The 64-bit accumulator is congruent to that sum modulo 0xFFFF
    /// (a divisor of 2^64 - 1) and zero only when everything added was, so this is "not zero and
    /// a multiple of 0xFFFF": no fold (`WordSumTests` checks it against ``value``).
    @inline(__always) var verifies: Bool {
        accumulated != 0 && accumulated % 0xFFFF == 0
    }

    /// Adds a run of at least eight bytes in wire order: eight bytes per step, then the last
    /// 0-7 bytes with one load of the run's last eight, shifted (as ``add(_:)`` takes them):
    /// shifted right by one and then by 63 - 8 × rest, which is 64 - 8 × rest for 1-7 bytes
    /// and leaves nothing to add for none, without a branch.
    @inline(__always) mutating func add(atLeastEight base: UnsafeRawPointer, count n: Int) {
        // At least one whole quad: a pointer loop without a count to set up (short segments, the
        // common case, are two to four steps).
        let end = base + (n & ~7)
        var p = base
        repeat {
            add(nativeQuad: p.loadUnaligned(as: UInt64.self))
            p += 8
        } while p != end
        let last = base.loadUnaligned(fromByteOffset: n &- 8, as: UInt64.self)
        add(nativeQuad: (last &>> 1) &>> UInt64(truncatingIfNeeded: 63 &- 8 &* (n & 7)))
    }
}
