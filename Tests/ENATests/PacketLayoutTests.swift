import Network
import TestSupport
import Testing

@testable import ENA

@Suite("the receive path's packet layout")
struct PacketLayoutTests {
    /// IPv4 and IPv6, TCP, UDP and others, tagged and untagged, options and fragments.
    static func templates() -> [[UInt8]] {
        let a = MACAddress(0x02_00_00_00_00_01)
        let b = MACAddress(0x02_00_00_00_00_02)
        let v6a = IPv6Address(high: 0x2001_0db8_0000_0000, low: 0x0000_0000_0000_0001)
        let v6b = IPv6Address(high: 0x2001_0db8_0000_0000, low: 0x0000_0000_0000_0002)
        var frames: [[UInt8]] = []
        for vlan in [nil, UInt16(0x2005)] {
            frames.append(
                FrameBuilder.udp(
                    source: a, destination: b, vlan: vlan, sourceIP: 0x420995BB, destinationIP: 0xA18E6450,
                    sourcePort: 2794, destinationPort: 1766, payload: [1, 2, 3, 4, 5], frameLength: 60))
            frames.append(
                FrameBuilder.tcp(
                    source: a, destination: b, vlan: vlan, sourceIP: 0x0A000001, destinationIP: 0x0A000002,
                    sourcePort: 80, destinationPort: 40000, payload: Array(repeating: 7, count: 33)))
            frames.append(
                FrameBuilder.udp6(
                    source: a, destination: b, vlan: vlan, sourceIP: v6a, destinationIP: v6b, sourcePort: 53,
                    destinationPort: 5353, payload: [9, 9, 9]))
            frames.append(
                FrameBuilder.tcp6(
                    source: a, destination: b, vlan: vlan, sourceIP: v6b, destinationIP: v6a, sourcePort: 443,
                    destinationPort: 51000, payload: Array(repeating: 3, count: 20)))
            frames.append(
                FrameBuilder.raw(source: a, destination: b, vlan: vlan, etherType: 0x0806, payload: [0, 1], frameLength: 60))
        }
        // IPv4 with 8 bytes of options (IHL 7) before a UDP header, and an ICMP packet.
        var options = frames[0]
        options.insert(contentsOf: [1, 1, 1, 1, 1, 1, 1, 0], at: 34)
        options[14] = 0x47
        frames.append(options)
        var icmp = frames[1]
        icmp[23] = 1
        frames.append(icmp)
        var fragment = frames[0]
        fragment[20] = 0x20
        frames.append(fragment)
        return frames
    }

    @Test("agrees with FrameHeaders.parse and rssHash on whole, truncated and corrupted frames")
    func agreesWithFrameHeaders() {
        let hasher = ToeplitzHasher(key: .microsoftVerification)
        let owner = RSSTable(hasher)
        let table = owner.lookup
        let selections: [RSSFieldSelection] = [
            [.tcpIPv4, .udpIPv4, .ipv4, .tcpIPv6, .udpIPv6, .ipv6], [.ipv4, .ipv6], [.tcpIPv4, .tcpIPv6], [],
            [.udpIPv4, .udpIPv6],
        ]
        var random = SplitMix64(seed: 0xE7A)
        var frames: [[UInt8]] = []
        for template in Self.templates() {
            for length in 0...template.count { frames.append(Array(template[0..<length])) }
            for _ in 0..<200 {
                var corrupted = template
                let position = Int(random.next() % UInt64(min(template.count, 64)))
                corrupted[position] = UInt8(truncatingIfNeeded: random.next())
                frames.append(corrupted)
            }
        }
        for frame in frames {
            frame.withUnsafeBytes { bytes in
                let reference = FrameHeaders.parse(bytes)
                let layout = PacketLayout(bytes)
                #expect((reference == nil) == (layout == nil), "\(frame)")
                guard let h = reference, let p = layout else { return }
                #expect(p.ipVersion == h.ipVersion && p.isTCP == h.isTCP && p.isUDP == h.isUDP, "\(frame)")
                #expect(p.isFragment == h.isFragment && p.hasPorts == h.hasPorts, "\(frame)")
                if h.ipVersion != 0 {
                    #expect(p.l3Offset == h.l3Offset && p.l3HeaderLength == h.l3HeaderLength, "\(frame)")
                    #expect(p.l4Offset == h.l4Offset && p.l4Protocol == h.l4Protocol, "\(frame)")
                }
                for fields in selections {
                    #expect(
                        p.rssHash(bytes, table, fields: fields.rawValue) == hasher.rssHash(of: h, fields: fields).hash,
                        "\(frame) \(fields)")
                }
                withExtendedLifetime(owner) {}
            }
        }
    }

    @Test("the RSS table of any key agrees with its hasher")
    func tableAgreesForOtherKeys() throws {
        var random = SplitMix64(seed: 0x7AB1E)
        for _ in 0..<3 {
            let key = try #require(
                ToeplitzKey(bytes: (0..<ToeplitzKey.length).map { _ in UInt8(truncatingIfNeeded: random.next()) }))
            let hasher = ToeplitzHasher(key: key)
            let owner = RSSTable(hasher)
            let fields: RSSFieldSelection = [.tcpIPv4, .udpIPv4, .ipv4, .tcpIPv6, .udpIPv6, .ipv6]
            for frame in Self.templates() {
                frame.withUnsafeBytes { bytes in
                    guard let h = FrameHeaders.parse(bytes), let p = PacketLayout(bytes) else { return }
                    #expect(p.rssHash(bytes, owner.lookup, fields: fields.rawValue) == hasher.rssHash(of: h, fields: fields).hash)
                }
            }
            withExtendedLifetime(owner) {}
        }
    }
}
