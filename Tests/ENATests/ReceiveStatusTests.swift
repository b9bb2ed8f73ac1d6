import Network
import TestSupport
import Testing

@testable import ENA

@Suite("Rx completion status word")
struct ReceiveStatusTests {
    /// Frames for the status word: the layout templates (UDP, TCP, IPv6, ARP, IPv4 options, ICMP,
    /// fragment, each with and without a VLAN tag), TCP and UDP over IPv4 with every payload
    /// length 0...40 (odd and even segment tails), UDP sent without a checksum, padded frames
    /// (IP total length shorter than the frame), and every one of them truncated and corrupted.
    static func frames() -> [[UInt8]] {
        let a = MACAddress(0x02_00_00_00_00_01)
        let b = MACAddress(0x02_00_00_00_00_02)
        var templates = PacketLayoutTests.templates()
        for vlan in [nil, UInt16(7)] {
            for length in 0...40 {
                let payload = (0..<length).map { UInt8(truncatingIfNeeded: $0 &* 37 &+ 11) }
                templates.append(
                    FrameBuilder.udp(
                        source: a, destination: b, vlan: vlan, sourceIP: 0xC0A8_0001 &+ UInt32(length),
                        destinationIP: 0x0A00_0002, sourcePort: 1000 &+ UInt16(length), destinationPort: 53,
                        payload: payload))
                templates.append(
                    FrameBuilder.tcp(
                        source: a, destination: b, vlan: vlan, sourceIP: 0x0A00_0001, destinationIP: 0xAC10_0001,
                        sourcePort: 443, destinationPort: 30000 &+ UInt16(length), payload: payload))
            }
            var noChecksum = FrameBuilder.udp(
                source: a, destination: b, vlan: vlan, sourceIP: 0x0A00_0001, destinationIP: 0x0A00_0002,
                sourcePort: 7, destinationPort: 9, payload: [1, 2, 3], frameLength: 60)
            let l4 = vlan == nil ? 34 : 38
            noChecksum[l4 + 6] = 0
            noChecksum[l4 + 7] = 0
            templates.append(noChecksum)
        }
        var random = SplitMix64(seed: 0x57A7_0005)
        var frames: [[UInt8]] = []
        for template in templates {
            frames.append(template)
            for length in stride(from: 0, to: template.count, by: 3) { frames.append(Array(template[0..<length])) }
            for _ in 0..<60 {
                var corrupted = template
                for _ in 0..<(1 + Int(random.next() % 2)) {
                    let position = Int(random.next() % UInt64(template.count))
                    corrupted[position] = UInt8(truncatingIfNeeded: random.next())
                }
                frames.append(corrupted)
            }
            // The IP total length off by a few bytes either way (segment shorter, or past the frame).
            if let p = template.withUnsafeBytes({ PacketLayout($0) }), p.ipVersion == 4 {
                for delta in [-9, -2, -1, 1, 2, 30] {
                    var changed = template
                    let total = Int(changed[p.l3Offset + 2]) << 8 | Int(changed[p.l3Offset + 3])
                    let value = UInt16(truncatingIfNeeded: max(0, total + delta))
                    changed[p.l3Offset + 2] = UInt8(value >> 8)
                    changed[p.l3Offset + 3] = UInt8(truncatingIfNeeded: value)
                    frames.append(changed)
                }
            }
        }
        return frames
    }

    @Test("the IPv4 TCP/UDP fast path gives the general path's word for every frame and offload setting")
    func fastPathAgreesWithGeneral() {
        var fastFrames = 0
        var seen: Set<UInt32> = []
        for frame in Self.frames() {
            frame.withUnsafeBytes { bytes in
                guard let p = PacketLayout(bytes) else { return }
                for offloads in UInt32(0)...7 {
                    let word = ReceiveStatus.word(bytes, p, offloads: offloads)
                    let general = ReceiveStatus.general(bytes, p, offloads: offloads)
                    #expect(word == general, "offloads \(offloads) frame \(frame)")
                    if p.ipVersion == 4, p.l3HeaderLength == 20, !p.isFragment, p.isTCP || p.isUDP {
                        fastFrames += 1
                        seen.insert(word)
                    }
                }
            }
        }
        #expect(fastFrames > 10_000)
        // The fast path produced every result: checked and clean, L3 error, L4 error, both,
        // not checked (segment outside the frame), and no offload at all, for TCP and UDP.
        for l4 in [UInt32(0x0C08), 0x0D08] {
            for bits: UInt32 in [0, 1 << 16, 1 << 16 | 1 << 13, 1 << 16 | 1 << 14, 1 << 16 | 1 << 13 | 1 << 14, 1 << 13] {
                #expect(seen.contains(l4 | bits), "status 0x\(String(l4 | bits, radix: 16)) not produced")
            }
        }
    }

    @Test("the general path matches the checksum verification it is built on")
    func generalMatchesVerification() {
        for frame in Self.frames() {
            frame.withUnsafeBytes { bytes in
                guard let p = PacketLayout(bytes), p.ipVersion == 4 else { return }
                let result = ChecksumOffload.verifyGeneral(bytes, p)
                let word = ReceiveStatus.general(bytes, p, offloads: 0x3)
                #expect((word & ReceiveStatus.l3Error != 0) == result.l3Error)
                #expect((word & ReceiveStatus.l4Checked != 0) == result.l4Checked)
                #expect((word & ReceiveStatus.l4Error != 0) == result.l4Error)
                #expect((word & ReceiveStatus.fragment != 0) == p.isFragment)
            }
        }
    }

    @Test("WordSum.verifies is value == 0, including the sums of zero and of 0xFFFF multiples")
    func verifiesIsValueZero() {
        var random = SplitMix64(seed: 0x0FFF_F001)
        var sums: [[UInt64]] = [
            [], [0], [0, 0], [0xFFFF], [0xFFFF_FFFF_FFFF_FFFF], [0xFFFF_FFFF_FFFF_FFFF, 1],
            [0xFFFE, 1], [0x1_0000, 0xFFFF], [0x8000_0000_0000_0000, 0x8000_0000_0000_0000], [0xFFFF_0000_0000_0000],
        ]
        for _ in 0..<20_000 {
            var quads: [UInt64] = []
            for _ in 0..<(1 + Int(random.next() % 4)) {
                switch random.next() % 4 {
                case 0: quads.append(random.next())
                case 1: quads.append(random.next() % 0x2_0000)
                case 2: quads.append((random.next() % 0x1_0000) &* 0xFFFF)
                default: quads.append(0xFFFF &* (random.next() % 0x1_0001_0001_0001))
                }
            }
            sums.append(quads)
        }
        var valid = 0
        for quads in sums {
            var sum = WordSum()
            for q in quads { sum.add(nativeQuad: q) }
            #expect(sum.verifies == (sum.value == 0), "\(quads)")
            if sum.verifies { valid += 1 }
        }
        #expect(valid > 100)
    }

    @Test("adding a run of at least eight bytes agrees with the general add for every length 8...200")
    func atLeastEightAgrees() {
        var random = SplitMix64(seed: 0xA7_1EA5_7E16)
        for length in 8...200 {
            let bytes = (0..<length).map { _ in UInt8(truncatingIfNeeded: random.next()) }
            var general = WordSum()
            var run = WordSum()
            bytes.withUnsafeBytes { buffer in
                general.add(buffer)
                if let base = buffer.baseAddress { run.add(atLeastEight: base, count: length) }
            }
            #expect(run.value == general.value, "length \(length)")
        }
    }
}
