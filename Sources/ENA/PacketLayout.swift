import Network

/// Where a frame's IP and TCP/UDP headers lie: what the checksum offloads, the receive status
/// and the RSS hash need, read in place (addresses and ports stay in the frame).
///
/// The fields agree with `FrameHeaders.parse` (one 802.1Q tag, IPv4 with options, IPv6's fixed
/// header; a truncated or malformed header yields fewer fields, never a trap), which
/// `PacketLayoutTests` checks; this is the receive path's cheaper equivalent (no MAC or IPv6
/// address copies, no optionals). Offsets are from the first byte of the destination address.
struct PacketLayout {
    /// Offset of the layer 3 header: 14, or 18 after an 802.1Q tag.
    var l3Offset = 14
    /// 4 or 6 when a complete IPv4 (version 4, IHL >= 5, 20 bytes present) or IPv6 (version 6,
    /// 40 bytes present) header follows; 0 otherwise.
    var ipVersion: UInt8 = 0
    /// IHL × 4 for IPv4, 40 for IPv6, 0 without an IP header.
    var l3HeaderLength = 0
    /// Offset of the IP payload; 0 without an IP header.
    var l4Offset = 0
    /// IPv4 Protocol or IPv6 Next Header; 0 without an IP header.
    var l4Protocol: UInt8 = 0
    /// An IPv4 fragment (More Fragments or a non-zero offset).
    var isFragment = false
    /// TCP or UDP, not a fragment, and the first four bytes of the L4 header are in the frame.
    var hasPorts = false

    static let tcp: UInt8 = 6
    static let udp: UInt8 = 17

    /// A TCP segment in an IPv4 or IPv6 packet.
    @inline(__always) var isTCP: Bool { ipVersion != 0 && l4Protocol == Self.tcp }
    /// A UDP datagram in an IPv4 or IPv6 packet.
    @inline(__always) var isUDP: Bool { ipVersion != 0 && l4Protocol == Self.udp }

    /// The layout of `frame`; nil when it is shorter than the 14-byte Ethernet header.
    @inline(__always) init?(_ frame: UnsafeRawBufferPointer) {
        let count = frame.count
        guard count >= 14, let base = frame.baseAddress else { return nil }
        // Nearly every frame: untagged IPv4 without options (EtherType 0x0800, then 0x45), at
        // least 4 bytes of L4 header present. One load tells; the fields are what the general
        // parse below finds for it.
        if count >= 38, UInt32(littleEndian: base.loadUnaligned(fromByteOffset: 12, as: UInt32.self)) & 0xFF_FFFF == 0x45_0008 {
            ipVersion = 4
            l3HeaderLength = 20
            l4Offset = 34
            isFragment = base.networkUInt16(at: 20) & 0x3FFF != 0
            l4Protocol = base.load(fromByteOffset: 23, as: UInt8.self)
            hasPorts = !isFragment && (l4Protocol == Self.tcp || l4Protocol == Self.udp)
            return
        }
        var etherType = base.networkUInt16(at: 12)
        if etherType == 0x8100 {
            l3Offset = 18
            guard count >= 18 else { return }
            etherType = base.networkUInt16(at: 16)
        }
        let l3 = l3Offset
        if etherType == 0x0800 {
            guard count &- l3 >= 20 else { return }
            let versionAndLength = base.load(fromByteOffset: l3, as: UInt8.self)
            let headerLength = Int(versionAndLength & 0x0F) &* 4
            guard versionAndLength >> 4 == 4, headerLength >= 20 else { return }
            ipVersion = 4
            l3HeaderLength = headerLength
            l4Offset = l3 &+ headerLength
            isFragment = base.networkUInt16(at: l3 &+ 6) & 0x3FFF != 0
            l4Protocol = base.load(fromByteOffset: l3 &+ 9, as: UInt8.self)
        } else if etherType == 0x86DD {
            guard count &- l3 >= 40, base.load(fromByteOffset: l3, as: UInt8.self) >> 4 == 6 else { return }
            ipVersion = 6
            l3HeaderLength = 40
            l4Offset = l3 &+ 40
            l4Protocol = base.load(fromByteOffset: l3 &+ 6, as: UInt8.self)
        } else {
            return
        }
        hasPorts = !isFragment && (l4Protocol == Self.tcp || l4Protocol == Self.udp) && count &- l4Offset >= 4
    }

    /// The Toeplitz hash the device reports, as `ToeplitzHasher.rssHash(of:fields:)` computes it
    /// for the same frame: addresses and ports when the protocol's 4-tuple function is enabled in
    /// `fields` (MRQC-positioned bits of `RSSFieldSelection`), addresses when the address
    /// function is, else 0. The input is read in place from the frame (addresses and ports are
    /// one run unless IPv4 options sit between them).
    @inline(__always)
    func rssHash(_ frame: UnsafeRawBufferPointer, _ table: RSSLookup, fields: UInt32) -> UInt32 {
        guard let base = frame.baseAddress else { return 0 }
        switch ipVersion {
        case 4:
            let tuple = hasPorts && fields & (l4Protocol == Self.tcp ? Self.tcpIPv4 : Self.udpIPv4) != 0
            if !tuple, fields & Self.ipv4 == 0 { return 0 }
            let addresses = table.hash(base + (l3Offset &+ 12), count: 8, at: 0)
            return tuple ? addresses ^ table.hash(base + l4Offset, count: 4, at: 8) : addresses
        case 6:
            let tuple = hasPorts && fields & (l4Protocol == Self.tcp ? Self.tcpIPv6 : Self.udpIPv6) != 0
            if !tuple, fields & Self.ipv6 == 0 { return 0 }
            // The ports follow the fixed header: addresses and ports are one run.
            return table.hash(base + (l3Offset &+ 8), count: tuple ? 36 : 32, at: 0)
        default:
            return 0
        }
    }

    // RSSFieldSelection's bits (MRQC positions), as literals: reading the public static
    // members from another module calls their lazy initialiser on every frame.
    static let tcpIPv4: UInt32 = 1 << 16
    static let ipv4: UInt32 = 1 << 17
    static let ipv6: UInt32 = 1 << 20
    static let tcpIPv6: UInt32 = 1 << 21
    static let udpIPv4: UInt32 = 1 << 22
    static let udpIPv6: UInt32 = 1 << 23
}

extension UnsafeRawPointer {
    /// The big-endian 16-bit value at `offset` (the caller checked that it is in the frame).
    @inline(__always) func networkUInt16(at offset: Int) -> UInt16 {
        UInt16(bigEndian: loadUnaligned(fromByteOffset: offset, as: UInt16.self))
    }
}
