import Network
import PCIe

/// Receive-side scaling (datasheet §7.1.2.8): Microsoft's verification vectors, injected from the
/// wire as TCP segments, must come back with the published Toeplitz hash and RSS type in the RX
/// write-back, on the queue the redirection table names for hash bits 6:0.
enum Intel82599RSSSuite {
    static let name = "intel82599-rss"
    static let queues = 8
    static let peer = MACAddress(0x0200_0000_0c0d)
    /// MRQC hash-field bits (ixgbe_type.h IXGBE_MRQC_RSS_FIELD_*).
    static let tcpIPv4: UInt32 = 1 << 16
    static let ipv4: UInt32 = 1 << 17
    static let ipv6: UInt32 = 1 << 20
    static let tcpIPv6: UInt32 = 1 << 21

    static func run(_ f: Intel82599Fixture) -> [CheckResult] {
        let spread = (0..<128).map { ($0 * 3 + 1) & 7 }
        let reversed = (0..<128).map { 7 - ($0 & 7) }
        return [
            f.check(name, "§7.1.2.8.3 verification vectors: TCP hash of addresses and ports in the write-back and RETA queue") {
                vectors(f, &$0, fields: tcpIPv4 | ipv4 | tcpIPv6 | ipv6, withPorts: true, reta: spread)
            },
            f.check(name, "§7.1.2.8.3 verification vectors: IPv4/IPv6 hash of addresses only") {
                vectors(f, &$0, fields: ipv4 | ipv6, withPorts: false, reta: spread)
            },
            f.check(name, "§7.1.2.8.1 RETA: a rewritten redirection table moves flows to the queues it names") {
                r in
                vectors(f, &r, fields: tcpIPv4 | ipv4 | tcpIPv6 | ipv6, withPorts: true, reta: spread, rewrite: reversed)
            },
        ]
    }

    /// Programs the key, RETA (`reta[entry]` is the queue) and MRQC with `fields`, rings on queues
    /// 0-7 and receive enable.
    private static func configure(_ f: Intel82599Fixture, fields: UInt32, reta: [Int]) -> [SuiteRxRing]? {
        let key = Intel82599RSSVectors.key
        for n in 0..<10 {
            let word = (0..<4).reduce(UInt32(0)) { $0 | UInt32(key[4 * n + $1]) << (8 * UInt32($1)) }
            f.write(PFR.RSSRK.offset(n), word)
        }
        program(f, reta: reta)
        guard let rings = try? (0..<queues).map({ try SuiteRxRing(QueueWindow.pfRx(f, $0), entries: 16) }) else { return nil }
        f.write(PFR.MRQC.offset, UInt32(PFR.MRQC.MRQEValue.rss) | fields)
        f.write(PFR.RXCTRL.offset, UInt32(PFR.RXCTRL.rxen.mask))
        return rings
    }

    /// Writes the 128 RETA entries, four per register, entry 4n+b in byte b.
    private static func program(_ f: Intel82599Fixture, reta: [Int]) {
        for n in 0..<32 {
            let word = (0..<4).reduce(UInt32(0)) { $0 | UInt32(reta[4 * n + $1] & 0xF) << (8 * UInt32($1)) }
            f.write(PFR.RETA.offset(n), word)
        }
    }

    private static func frame(_ v: Intel82599RSSVectors.Vector, to destination: MACAddress) -> [UInt8]? {
        v.ipv6
            ? FrameBuilder.tcp6(
                source: peer, destination: destination, sourceIP: v.source, destinationIP: v.destination,
                sourcePort: v.sourcePort, destinationPort: v.destinationPort)
            : FrameBuilder.tcp(
                source: peer, destination: destination, sourceIP: v.source, destinationIP: v.destination,
                sourcePort: v.sourcePort, destinationPort: v.destinationPort)
    }

    /// Sends every vector and checks hash, RSS type and queue; with `rewrite`, then reprograms
    /// RETA and checks every flow follows it.
    private static func vectors(
        _ f: Intel82599Fixture, _ r: inout CheckRecorder, fields: UInt32, withPorts: Bool, reta: [Int],
        rewrite: [Int]? = nil
    ) -> Bool {
        guard f.wire != nil else { return false }
        guard f.resetPort(&r) else { return true }
        guard let rings = configure(f, fields: fields, reta: reta) else {
            r.expect(false, "DMA allocation failed")
            return true
        }
        var tables = [reta]
        if let rewrite { tables.append(rewrite) }
        for (pass, table) in tables.enumerated() {
            if pass > 0 { program(f, reta: table) }
            for v in Intel82599RSSVectors.vectors {
                guard let bytes = frame(v, to: f.permanentAddress) else {
                    r.expect(false, "cannot build a frame for \(v.source)")
                    continue
                }
                let hash = withPorts ? v.withPorts : v.addressesOnly
                let type: UInt32 = withPorts ? (v.ipv6 ? 0x3 : 0x1) : (v.ipv6 ? 0x5 : 0x2)
                let queue = table[Int(hash & 0x7F)] & 0xF
                f.inject(bytes)
                let got = rings.enumerated().flatMap { q, ring in ring.harvest().map { (q, $0) } }
                let flow = "\(v.source):\(v.sourcePort) -> \(v.destination):\(v.destinationPort)"
                guard got.count == 1, let (q, frame) = got.first else {
                    r.expect(false, "\(flow): \(got.count) frames received, expected 1 on queue \(queue)")
                    continue
                }
                r.expect(q == queue, "\(flow): hash \(hex(hash)) landed on queue \(q); RETA[\(hash & 0x7F)] names \(queue)")
                r.expect(frame.last.hash == hash, "\(flow): write-back hash \(hex(frame.last.hash)), expected \(hex(hash))")
                r.expect(frame.last.rssType == type, "\(flow): RSS type \(frame.last.rssType), expected \(type)")
                r.expect(frame.last.eop && frame.bytes == bytes, "\(flow): frame not delivered whole")
            }
        }
        return true
    }
}
