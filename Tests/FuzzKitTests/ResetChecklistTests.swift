import Intel82599
import Network
import PCIe
import RegisterModel
import Testing

@testable import Conformance
@testable import FuzzKit

/// The 82599 targets' reset check keeps its expectations from one fixture to the next: they must
/// report what working them out per check reports.
@Suite struct ResetChecklistTests {
    typealias PFR = Intel82599PFRegisters

    /// The check as it was before the checklist: each register's expectation worked out while
    /// walking the block.
    static func reference(_ address: MACAddress, _ read: (Int) -> UInt32) -> [String] {
        var found: [String] = []
        Intel82599RegisterSuite.forEachInstance(PFR.block) { reg, n, at in
            let expected = Intel82599RegisterSuite.expectedAfterReset(permanentAddress: address, reg, n)
            let value = UInt64(read(at))
            guard value & expected.mask != expected.value & expected.mask else { return }
            let name = reg.count > 1 ? "\(reg.name)(\(n))" : reg.name
            found.append(
                "\(name) at \(hex(at)): reads \(hex(value & expected.mask)), expected \(hex(expected.value & expected.mask))")
        }
        return found
    }

    @Test func everyPFRegisterInstanceIsOnTheChecklist() {
        let instances = PFR.block.registers.filter { $0.width == 4 }.reduce(0) { $0 + $1.count }
        #expect(Intel82599FuzzRig.resetChecklist.count == instances)
        #expect(instances > 1000)
    }

    @Test func theChecklistReportsWhatTheConformanceExpectationsReport() throws {
        let address = Intel82599FuzzRig.permanentAddress
        var random = SplitMix64(seed: 17)
        let noise = (0..<0x20000).map { _ in UInt32(truncatingIfNeeded: random.next()) }
        let reads: [(Int) -> UInt32] = [
            { _ in 0 }, { _ in .max }, { noise[($0 >> 2) % noise.count] },
        ]
        for read in reads {
            let kept = Intel82599FuzzRig.resetChecklist.mismatches(read: read)
            #expect(!kept.isEmpty)
            #expect(kept == Self.reference(address, read))
            #expect(kept == Intel82599ResetExpectations.mismatches(permanentAddress: address, read: read))
        }
        // A device just reset passes; one register that kept a value is named.
        let target = try Intel82599PFFuzzTarget()
        target.apply(.reset(.device))
        #expect(target.violatedInvariant(after: .reset(.device)) == nil)
        #expect(target.bench.applyGeneric(.mmioWrite(bar: 0, offset: UInt32(PFR.RDBAL.offset(5)), width: .dword, value: 0x1000)))
        let broken = try #require(target.violatedInvariant(after: .reset(.device)))
        #expect(broken.detail == "RDBAL(5) at 0x\(String(PFR.RDBAL.offset(5), radix: 16)): reads 0x1000, expected 0x0")
    }
}
