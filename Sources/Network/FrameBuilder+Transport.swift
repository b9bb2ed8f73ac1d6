extension FrameBuilder {
    /// The transport header a built frame carries.
    enum Transport {
        case tcp
        case udp

        /// IP protocol number.
        var protocolNumber: UInt8 { self == .tcp ? IPProtocolNumber.tcp : IPProtocolNumber.udp }
        /// Header length without options.
        var headerLength: Int { self == .tcp ? 20 : 8 }
        /// Offset of the checksum within the header.
        var checksumOffset: Int { self == .tcp ? 16 : 6 }
    }

    /// `payload` extended with zeros so that `overhead + payload` reaches `frameLength`.
    static func padded(_ payload: [UInt8], overhead: Int, frameLength: Int?) -> [UInt8] {
        guard let frameLength, overhead + payload.count < frameLength else { return payload }
        return payload + [UInt8](repeating: 0, count: frameLength - overhead - payload.count)
    }

    /// A TCP or UDP header plus payload with a zero checksum (filled in by the caller).
    static func segment(_ transport: Transport, sourcePort: UInt16, destinationPort: UInt16, payload: [UInt8])
        -> [UInt8]
    {
        var segment: [UInt8] = []
        segment.reserveCapacity(transport.headerLength + payload.count)
        segment.appendBigEndian(sourcePort)
        segment.appendBigEndian(destinationPort)
        switch transport {
        case .udp:
            segment.appendBigEndian(UInt16(truncatingIfNeeded: 8 + payload.count))
            segment.appendBigEndian(UInt16(0))
        case .tcp:
            segment.appendBigEndian(UInt32(1))  // sequence number
            segment.appendBigEndian(UInt32(1))  // acknowledgement number
            segment += [0x50, 0x18]  // data offset 5 words; flags PSH|ACK
            segment.appendBigEndian(UInt16(0xFFFF))  // window
            segment.appendBigEndian(UInt16(0))  // checksum
            segment.appendBigEndian(UInt16(0))  // urgent pointer
        }
        return segment + payload
    }

    /// Stores the transport checksum of `segment` given the pseudo-header sum so far.
    static func finishChecksum(_ segment: inout [UInt8], _ transport: Transport, pseudoHeader: InternetChecksum) {
        var checksum = pseudoHeader
        checksum.add(segment)
        var value = checksum.value
        if transport == .udp && value == 0 { value = 0xFFFF }  // 0 means "no checksum" for UDP
        segment.setBigEndian(value, at: transport.checksumOffset)
    }
}
