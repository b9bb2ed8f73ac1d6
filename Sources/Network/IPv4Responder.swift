/// A minimal IPv4 host on the far side of a ``Wire``: it owns one MAC and one IPv4 address,
/// answers ARP requests for that address and ICMP echo requests (ping) sent to it, so a real
/// guest IP stack behind the NIC gets replies it accepts.
///
/// Every byte of a received frame is guest-controlled: all lengths are checked before any read,
/// and anything unexpected is counted, never trapped on. What is answered:
/// - ARP: Ethernet/IPv4 requests (htype 1, ptype 0x0800, hlen 6, plen 4, oper 1) sent to the
///   broadcast address or to ``macAddress`` whose target protocol address is ``ipv4Address``.
///   The reply (oper 2) goes to the sender hardware address.
/// - ICMP: unfragmented echo requests (type 8, code 0) sent to ``macAddress`` and ``ipv4Address``
///   with a valid IPv4 header checksum and ICMP checksum (a real stack drops the others too).
///   The reply has both MACs and IPs swapped, type 0, TTL 64, the request's TOS and
///   identification, the same ICMP identifier, sequence number and data, and fresh checksums.
///   IPv4 options of the request are not echoed: the reply always has a 20-byte header.
///
/// 802.1Q: a frame with one tag (TPID 0x8100) is answered with the same tag; frames with a
/// second tag are ignored. Replies shorter than 60 bytes are zero padded to the Ethernet minimum.
///
/// Replies are built in a buffer allocated once, large enough for any reply; a reply needed while
/// another is still being delivered (a NIC that transmits from inside its receive path) uses a
/// temporary buffer instead, so nested replies never overwrite a frame in flight.
public final class IPv4Responder: FrameSink {
    /// Length of the preallocated reply buffer: a tagged Ethernet header plus the largest IPv4 packet.
    public static let bufferLength = 18 + 65_535

    /// This host's MAC address.
    public let macAddress: MACAddress
    /// This host's IPv4 address.
    public let ipv4Address: IPv4Address
    /// ARP requests for ``ipv4Address`` that were answered.
    public private(set) var arpRequestsAnswered: UInt64 = 0
    /// ICMP echo requests that were answered.
    public private(set) var echoRequestsAnswered: UInt64 = 0
    /// Well-formed frames that need no answer: other EtherTypes, destinations or operations,
    /// fragments, non-echo ICMP, double tags, and everything received while not attached.
    public private(set) var framesIgnored: UInt64 = 0
    /// Frames with a truncated header, a bad IPv4 version, IHL or total length, or a bad checksum.
    public private(set) var malformedFrames: UInt64 = 0

    /// The wire this host is attached to (weak: the wire owns its far ends).
    private weak var wire: Wire?
    /// Where replies are built (see ``ReplyBuffer``).
    private let replies = ReplyBuffer(length: bufferLength)

    /// Length of an Ethernet/IPv4 ARP packet.
    private static let arpLength = 28
    /// IP protocol number of ICMP.
    private static let icmpProtocol: UInt8 = 1

    /// A host with `macAddress` and `ipv4Address`. Attach it with ``attach(to:)``.
    public init(macAddress: MACAddress, ipv4Address: IPv4Address) {
        self.macAddress = macAddress
        self.ipv4Address = ipv4Address
    }

    /// Adds this host to the far side of `wire` and answers through it from now on.
    public func attach(to wire: Wire) {
        self.wire = wire
        wire.addFarEnd(self)
    }

    /// Answers `frame` when it is an ARP or echo request for this host; otherwise counts it.
    public func receive(_ frame: UnsafeRawBufferPointer) {
        // `parse` reports a tag cut short with `l3Offset` beyond the end of the frame.
        guard let headers = FrameHeaders.parse(frame), frame.count >= headers.l3Offset else {
            malformedFrames &+= 1
            return
        }
        switch headers.etherType {
        case EtherType.arp: answerARP(frame, headers)
        case EtherType.ipv4: answerEcho(frame, headers)
        default: framesIgnored &+= 1
        }
    }

    /// Replies to an ARP request for ``ipv4Address``.
    private func answerARP(_ frame: UnsafeRawBufferPointer, _ headers: FrameHeaders) {
        let arp = headers.l3Offset
        guard frame.count - arp >= Self.arpLength else {
            malformedFrames &+= 1
            return
        }
        guard headers.destination == macAddress || headers.destination.isBroadcast,
            frame.bigEndianUInt32(at: arp) == 0x0001_0800, frame.bigEndianUInt16(at: arp + 4) == 0x0604,
            frame.bigEndianUInt16(at: arp + 6) == 1, frame.bigEndianUInt32(at: arp + 24) == ipv4Address.value,
            let wire
        else {
            framesIgnored &+= 1
            return
        }
        let requester = MACAddress(frame, at: arp + 8)
        arpRequestsAnswered &+= 1
        transmit(length: max(FrameBuilder.minimumFrameLength, arp + Self.arpLength), on: wire) { reply in
            writeEthernetHeader(reply, to: requester, headers.vlanTag, EtherType.arp)
            reply.storeBigEndian(UInt32(0x0001_0800), at: arp)  // htype 1, ptype IPv4
            reply.storeBigEndian(UInt32(0x0604_0002), at: arp + 4)  // hlen 6, plen 4, oper 2 (reply)
            reply.storeMAC(macAddress, at: arp + 8)
            reply.storeBigEndian(ipv4Address.value, at: arp + 14)
            reply.copyBytes(from: frame, (arp + 8)..<(arp + 18), to: arp + 18)  // requester's hardware and IPv4 address
            reply.zero(from: arp + Self.arpLength)
        }
    }

    /// Replies to an ICMP echo request for ``macAddress`` and ``ipv4Address``.
    private func answerEcho(_ frame: UnsafeRawBufferPointer, _ headers: FrameHeaders) {
        guard headers.destination == macAddress else {
            framesIgnored &+= 1
            return
        }
        let ip = headers.l3Offset
        let ipHeaderLength = headers.l3HeaderLength
        // ipVersion is 0 unless 20 bytes are present with version 4 and IHL >= 5.
        guard headers.ipVersion == 4, case let totalLength = Int(frame.bigEndianUInt16(at: ip + 2)),
            totalLength >= ipHeaderLength, totalLength <= frame.count - ip,
            Self.checksum(frame, ip..<(ip + ipHeaderLength)) == 0
        else {
            malformedFrames &+= 1
            return
        }
        guard !headers.isFragment, headers.l4Protocol == Self.icmpProtocol,
            headers.ipv4Destination == ipv4Address.value, let wire
        else {
            framesIgnored &+= 1
            return
        }
        let icmp = headers.l4Offset
        let message = icmp..<(ip + totalLength)
        guard message.count >= 8, Self.checksum(frame, message) == 0 else {
            malformedFrames &+= 1
            return
        }
        guard frame.bigEndianUInt16(at: icmp) == 0x0800 else {  // type 8 (echo request), code 0
            framesIgnored &+= 1
            return
        }
        let replyICMP = ip + 20
        let end = replyICMP + message.count
        echoRequestsAnswered &+= 1
        transmit(length: max(FrameBuilder.minimumFrameLength, end), on: wire) { reply in
            writeEthernetHeader(reply, to: headers.source, headers.vlanTag, EtherType.ipv4)
            reply.storeBigEndian(0x4500 | UInt16(frame[ip + 1]), at: ip)  // version 4, IHL 5; TOS
            reply.storeBigEndian(UInt16(truncatingIfNeeded: 20 + message.count), at: ip + 2)
            reply.copyBytes(from: frame, (ip + 4)..<(ip + 6), to: ip + 4)  // identification
            reply.storeBigEndian(UInt32(0x0000_4001), at: ip + 6)  // no flags, offset 0; TTL 64; ICMP
            reply.storeBigEndian(UInt16(0), at: ip + 10)
            reply.storeBigEndian(ipv4Address.value, at: ip + 12)
            reply.storeBigEndian(headers.ipv4Source, at: ip + 16)
            reply.storeBigEndian(Self.checksum(UnsafeRawBufferPointer(reply), ip..<replyICMP), at: ip + 10)
            reply.copyBytes(from: frame, message, to: replyICMP)
            reply.storeBigEndian(UInt32(0), at: replyICMP)  // type 0 (echo reply), code 0, checksum 0
            reply.storeBigEndian(Self.checksum(UnsafeRawBufferPointer(reply), replyICMP..<end), at: replyICMP + 2)
            reply.zero(from: end)
        }
    }

    /// Writes destination, source (this host), the request's 802.1Q tag if any, and `etherType`.
    private func writeEthernetHeader(
        _ reply: UnsafeMutableRawBufferPointer, to destination: MACAddress, _ vlanTag: UInt16?, _ etherType: UInt16
    ) {
        reply.storeMAC(destination, at: 0)
        reply.storeMAC(macAddress, at: 6)
        var offset = 12
        if let vlanTag {
            reply.storeBigEndian(UInt32(EtherType.vlan) << 16 | UInt32(vlanTag), at: offset)
            offset += 4
        }
        reply.storeBigEndian(etherType, at: offset)
    }

    /// Builds a `length`-byte reply with `build` and sends it towards the port.
    private func transmit(length: Int, on wire: Wire, _ build: (UnsafeMutableRawBufferPointer) -> Void) {
        replies.withSpace(length) { reply in
            build(reply)
            wire.transmitToPort(UnsafeRawBufferPointer(reply))
        }
    }

    /// The Internet checksum of `bytes[range]` (0 when the range holds its correct checksum).
    private static func checksum(_ bytes: UnsafeRawBufferPointer, _ range: Range<Int>) -> UInt16 {
        var sum = InternetChecksum()
        sum.add(UnsafeRawBufferPointer(rebasing: bytes[range]))
        return sum.value
    }
}

extension UnsafeMutableRawBufferPointer {
    /// Stores a 16-bit value in network order; the caller has checked `offset + 2 <= count`.
    fileprivate func storeBigEndian(_ value: UInt16, at offset: Int) {
        storeBytes(of: value.bigEndian, toByteOffset: offset, as: UInt16.self)
    }

    /// Stores a 32-bit value in network order; the caller has checked `offset + 4 <= count`.
    fileprivate func storeBigEndian(_ value: UInt32, at offset: Int) {
        storeBytes(of: value.bigEndian, toByteOffset: offset, as: UInt32.self)
    }

    /// Stores six octets in wire order; the caller has checked `offset + 6 <= count`.
    fileprivate func storeMAC(_ address: MACAddress, at offset: Int) {
        storeBigEndian(UInt32(truncatingIfNeeded: address.value >> 16), at: offset)
        storeBigEndian(UInt16(truncatingIfNeeded: address.value), at: offset + 4)
    }

    /// Copies `source[range]` to `offset`; both ranges are in bounds (checked by the caller).
    fileprivate func copyBytes(from source: UnsafeRawBufferPointer, _ range: Range<Int>, to offset: Int) {
        UnsafeMutableRawBufferPointer(rebasing: self[offset..<(offset + range.count)])
            .copyMemory(from: UnsafeRawBufferPointer(rebasing: source[range]))
    }

    /// Zeroes the bytes from `offset` to the end (Ethernet padding).
    fileprivate func zero(from offset: Int) {
        for index in offset..<count { self[index] = 0 }
    }
}
