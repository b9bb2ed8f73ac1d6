import Network
import TestSupport
import Testing

@testable import ENA

@Suite("receive checksum verification")
struct ChecksumOffloadTests {
    @Test("the IPv4 fast path agrees with the general verification on whole, truncated and corrupted frames")
    func fastPathAgreesWithGeneral() {
        var random = SplitMix64(seed: 0xC5C5)
        var frames: [[UInt8]] = []
        for template in PacketLayoutTests.templates() {
            for length in 0...template.count { frames.append(Array(template[0..<length])) }
            for _ in 0..<300 {
                var corrupted = template
                // Anywhere in the headers and the first payload bytes, sometimes twice.
                for _ in 0..<(1 + Int(random.next() % 2)) {
                    let position = Int(random.next() % UInt64(min(template.count, 64)))
                    corrupted[position] = UInt8(truncatingIfNeeded: random.next())
                }
                frames.append(corrupted)
            }
        }
        var checked = 0
        for frame in frames {
            frame.withUnsafeBytes { bytes in
                guard let p = PacketLayout(bytes) else { return }
                let fast = ChecksumOffload.verify(bytes, p)
                let general = ChecksumOffload.verifyGeneral(bytes, p)
                #expect(fast.l3Error == general.l3Error, "\(frame)")
                #expect(fast.l4Checked == general.l4Checked, "\(frame)")
                #expect(fast.l4Error == general.l4Error, "\(frame)")
                if p.ipVersion == 4, p.l3HeaderLength == 20, general.l4Checked { checked += 1 }
            }
        }
        // The templates' intact IPv4 frames reach the L4 sum, not only the early exits.
        #expect(checked > 100)
    }
}
