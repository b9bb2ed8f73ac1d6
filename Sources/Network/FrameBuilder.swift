/// Builds complete Ethernet frames as byte arrays for tests, peers and benchmarks (allocating).
///
/// Frames start with the destination address and carry no FCS: the NIC strips the 4-byte FCS on
/// receive (CRC strip) and appends it on transmit, so a "64-byte frame" on the wire is a 60-byte
/// array here. Use ``frameLength(onWire:)`` to convert.
///
/// IPv4 headers have a correct header checksum, DF set, TTL 64 and no options; TCP headers have
/// no options and flags PSH|ACK. TCP and UDP checksums are correct (pseudo-header included) for
/// both IP versions.
public struct FrameBuilder: Sendable {
    /// Length of the frame check sequence the wire adds after every frame.
    public static let fcsLength = 4
    /// The shortest Ethernet frame without FCS (64 on the wire).
    public static let minimumFrameLength = 60

    /// The array length of a frame whose wire size including the FCS is `wireLength`
    /// (64 → 60, 1518 → 1514).
    public static func frameLength(onWire wireLength: Int) -> Int {
        wireLength - fcsLength
    }

    /// `length` bytes of deterministic pseudo-random payload from `seed` (empty for length <= 0).
    public static func pattern(length: Int, seed: UInt64) -> [UInt8] {
        guard length > 0 else { return [] }
        var random = DeterministicRandom(seed: seed)
        var bytes = [UInt8](repeating: 0, count: length)
        for index in stride(from: 0, to: length, by: 8) {
            let word = random.next()
            for offset in 0..<min(8, length - index) {
                bytes[index + offset] = UInt8(truncatingIfNeeded: word >> (8 * UInt64(offset)))
            }
        }
        return bytes
    }

    /// A frame with any EtherType: addresses, optional 802.1Q tag, `payload`, then zero padding up
    /// to `frameLength` (a longer frame is never cut).
    public static func raw(
        source: MACAddress, destination: MACAddress, vlan: UInt16? = nil, etherType: UInt16, payload: [UInt8],
        frameLength: Int? = nil
    ) -> [UInt8] {
        var frame = ethernetHeader(source: source, destination: destination, vlan: vlan, etherType: etherType)
        frame += payload
        if let frameLength, frame.count < frameLength {
            frame += [UInt8](repeating: 0, count: frameLength - frame.count)
        }
        return frame
    }

    /// Destination, source, optional tag (`vlan` is the whole tag control information: priority
    /// 15:13, DEI 12, VLAN ID 11:0) and EtherType.
    static func ethernetHeader(source: MACAddress, destination: MACAddress, vlan: UInt16?, etherType: UInt16)
        -> [UInt8]
    {
        var header = destination.octets + source.octets
        if let vlan {
            header.appendBigEndian(EtherType.vlan)
            header.appendBigEndian(vlan)
        }
        header.appendBigEndian(etherType)
        return header
    }
}

extension Array where Element == UInt8 {
    /// Appends a 16-bit value in network order.
    mutating func appendBigEndian(_ value: UInt16) {
        append(UInt8(truncatingIfNeeded: value >> 8))
        append(UInt8(truncatingIfNeeded: value))
    }

    /// Appends a 32-bit value in network order.
    mutating func appendBigEndian(_ value: UInt32) {
        appendBigEndian(UInt16(truncatingIfNeeded: value >> 16))
        appendBigEndian(UInt16(truncatingIfNeeded: value))
    }

    /// Writes a 16-bit value in network order at `offset` (which must be in range).
    mutating func setBigEndian(_ value: UInt16, at offset: Int) {
        self[offset] = UInt8(truncatingIfNeeded: value >> 8)
        self[offset + 1] = UInt8(truncatingIfNeeded: value)
    }
}
