import Foundation
import Intel82599
import Network
import Testing

/// One line of Fixtures/rss/microsoft-verification.txt.
struct RSSVector: CustomStringConvertible {
    var ipv6: Bool
    var source: String
    var sourcePort: UInt16
    var destination: String
    var destinationPort: UInt16
    var withPorts: UInt32
    var addressesOnly: UInt32
    var description: String { "\(source):\(sourcePort) -> \(destination):\(destinationPort)" }

    static func load() throws -> [RSSVector] {
        let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent()
        let text = try String(contentsOf: root.appendingPathComponent("Fixtures/rss/microsoft-verification.txt"), encoding: .utf8)
        return text.split(separator: "\n").compactMap { line in
            let f = line.split(separator: " ").map(String.init)
            guard f.count == 7, f[0] == "ipv4" || f[0] == "ipv6", let sp = UInt16(f[2]), let dp = UInt16(f[4]),
                let h1 = UInt32(f[5].dropFirst(2), radix: 16), let h2 = UInt32(f[6].dropFirst(2), radix: 16)
            else { return nil }
            return RSSVector(
                ipv6: f[0] == "ipv6", source: f[1], sourcePort: sp, destination: f[3], destinationPort: dp, withPorts: h1,
                addressesOnly: h2)
        }
    }

    func frame(tcp: Bool) -> [UInt8]? {
        if ipv6 {
            guard let s = IPv6Address(source), let d = IPv6Address(destination) else { return nil }
            return tcp
                ? FrameBuilder.tcp6(
                    source: peerMAC, destination: localMAC, sourceIP: s, destinationIP: d, sourcePort: sourcePort,
                    destinationPort: destinationPort)
                : FrameBuilder.udp6(
                    source: peerMAC, destination: localMAC, sourceIP: s, destinationIP: d, sourcePort: sourcePort,
                    destinationPort: destinationPort)
        }
        return tcp
            ? FrameBuilder.tcp(
                source: peerMAC, destination: localMAC, sourceIP: source, destinationIP: destination, sourcePort: sourcePort,
                destinationPort: destinationPort)
            : FrameBuilder.udp(
                source: peerMAC, destination: localMAC, sourceIP: source, destinationIP: destination, sourcePort: sourcePort,
                destinationPort: destinationPort)
    }
}

@Suite("82599 RSS: Toeplitz hash, RETA and write-back (datasheet §7.1.2.8)")
struct RSSTests {
    /// Programs the Microsoft key, a RETA mapping entry n to queue n % 4, and MRQC for RSS.
    func configure(_ nic: NICBench, fields: RSSFieldSelection) throws -> [RxRing] {
        nic.settle()
        for (n, word) in ToeplitzKey.microsoftVerification.rssrk.enumerated() { nic.write(R.RSSRK.offset(n), word) }
        for n in 0..<32 { nic.write(R.RETA.offset(n), 0x0302_0100) }
        nic.write(R.MRQC.offset, UInt32(R.MRQC.MRQEValue.rss) | fields.rawValue)
        return try (0..<4).map { try nic.receiveRing(queue: $0, entries: 16) }
    }

    @Test func microsoftVectorsHashWithPortsAndSteerByRETA() throws {
        let vectors = try RSSVector.load()
        #expect(vectors.count >= 8, "fixture has the IPv4 and IPv6 tables")
        let nic = try NICBench()
        let rings = try configure(nic, fields: [.tcpIPv4, .ipv4, .tcpIPv6, .ipv6])
        var used = [Int](repeating: 0, count: 4)
        for v in vectors {
            let frame = try #require(v.frame(tcp: true), "\(v)")
            nic.inject(frame)
            let q = Int(v.withPorts & 0x7F) % 4
            let wb = rings[q].writeBack(used[q])
            used[q] += 1
            #expect(wb.hash == v.withPorts, "\(v)")
            #expect(wb.status & 0x3 == 0x3, "DD and EOP")
            #expect(wb.info & 0xF == (v.ipv6 ? 0x3 : 0x1), "RSS type TCP/IPv\(v.ipv6 ? 6 : 4)")
            #expect(wb.length == frame.count)
        }
        #expect(used.reduce(0, +) == vectors.count)
    }

    @Test func addressOnlyHashWhenPortsAreNotSelected() throws {
        let vectors = try RSSVector.load()
        let nic = try NICBench()
        let rings = try configure(nic, fields: [.ipv4, .ipv6])
        var used = [Int](repeating: 0, count: 4)
        for v in vectors {
            nic.inject(try #require(v.frame(tcp: true)))
            let q = Int(v.addressesOnly & 0x7F) % 4
            let wb = rings[q].writeBack(used[q])
            used[q] += 1
            #expect(wb.hash == v.addressesOnly, "\(v)")
            #expect(wb.info & 0xF == (v.ipv6 ? 0x5 : 0x2), "RSS type IPv\(v.ipv6 ? 6 : 4)")
        }
    }

    @Test func udpFallsBackToAddressesUnlessUDPFieldsAreOn() throws {
        let v = try #require(try RSSVector.load().first { !$0.ipv6 })
        let nic = try NICBench()
        let rings = try configure(nic, fields: [.tcpIPv4, .ipv4])
        nic.inject(try #require(v.frame(tcp: false)))
        let q = Int(v.addressesOnly & 0x7F) % 4
        #expect(rings[q].writeBack(0).hash == v.addressesOnly)
        nic.write(R.MRQC.offset, UInt32(R.MRQC.MRQEValue.rss) | RSSFieldSelection([.ipv4, .udpIPv4]).rawValue)
        nic.inject(try #require(v.frame(tcp: false)))
        let q2 = Int(v.withPorts & 0x7F) % 4
        let index = q2 == q ? 1 : 0
        let wb = rings[q2].writeBack(index)
        #expect(wb.hash == v.withPorts, "UDP/IPv4 hashes the same 12 bytes as TCP/IPv4")
        #expect(wb.info & 0xF == 0x7, "RSS type UDP/IPv4")
    }

    @Test func nonIPFramesAreNotHashedAndLandInQueueZero() throws {
        let nic = try NICBench()
        let rings = try configure(nic, fields: [.tcpIPv4, .ipv4])
        nic.write(R.FCTRL.offset, UInt32(R.FCTRL.bam.mask))
        nic.inject(
            FrameBuilder.raw(
                source: peerMAC, destination: .broadcast, etherType: EtherType.arp, payload: [UInt8](repeating: 0, count: 46)))
        let wb = rings[0].writeBack(0)
        #expect(wb.status & 1 == 1)
        #expect(wb.hash == 0)
        #expect(wb.info & 0xF == 0)
    }
}
