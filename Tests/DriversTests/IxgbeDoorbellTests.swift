import Drivers
import Intel82599
import PCIe
import RegisterModel
import Testing

/// VF tail doorbells take a resolved-slot path in the model (no offset lookup); these tests hold
/// it to what the general register path does with the same write.
@Suite("82599 VF tail doorbells")
struct IxgbeDoorbellTests {
    let bar = Intel82599.registerBAR
    typealias R = Intel82599PFRegisters
    typealias V = Intel82599VFRegisters

    @Test("VF and PF 32-bit tail writes store what the register file's general write stores", arguments: [false, true])
    func tailWriteMatchesRegisterPath(tx: Bool) throws {
        let bench = try IxgbeBench(vfCount: 2)
        let pfAccess = bench.bus.access(bench.pfAddress)
        let vf = bench.bus.access(bench.pf.vfAddresses[1])
        // VF 1's second queue is not enabled (the driver starts queue 0 only), so tails are only
        // stored. The PF driver sets 64 pools of 2 queues: that queue is PF queue 3.
        let vfOffset = UInt64(tx ? V.VFTDT.offset(1) : V.VFRDT.offset(1))
        let pfOffset = tx ? R.TDT.offset(3) : R.RDT.offset(3)
        // Queues of pools with no VF, written by the PF: one in each RX bank (RDT of queues
        // 64-127 sits at 0x0D018 + 0x40 (n - 64)).
        let pfOnly = tx ? [R.TDT.offset(40), R.TDT.offset(127)] : [R.RDT.offset(40), 0x0D018 + 0x40 * (100 - 64)]
        var reference = RegisterFile(Intel82599PFRegisters.block)
        for value: UInt32 in [0, 5, 0xFFFF, 0x1_0007, 0xDEAD_BEEF, 0xFFFF_FFFF] {
            _ = reference.guestWrite(pfOffset, width: 4, value: UInt64(value))
            let expected = UInt32(reference.value(at: pfOffset))
            #expect(expected == value & 0xFFFF, "the tail field is bits 15:0")
            vf.write32(bar, vfOffset, value)
            #expect(vf.read32(bar, vfOffset) == expected)
            #expect(pfAccess.read32(bar, UInt64(pfOffset)) == expected)
            for offset in pfOnly {
                pfAccess.write32(bar, UInt64(offset), value)
                #expect(pfAccess.read32(bar, UInt64(offset)) == expected, "PF offset 0x\(String(offset, radix: 16))")
            }
        }
    }

    @Test("a tail beyond an enabled ring is counted and ignored on the doorbell path too; traffic goes on")
    func transmitTailBeyondRing() throws {
        let bench = try IxgbeBench(vfCount: 2)
        let vf = bench.bus.access(bench.pf.vfAddresses[0])
        let offset = UInt64(V.VFTDT.offset(0))
        let tail = vf.read32(bar, offset)
        let before = try bench.counters.badTailWrites
        vf.write32(bar, offset, 64 + 3)
        #expect(try bench.counters.badTailWrites == before + 1)
        #expect(bench.guestErrors.contains { $0.contains("TDT 67 beyond a ring of 64") })
        // The register holds the write; the queue kept its tail, so sending resumes from there.
        #expect(vf.read32(bar, offset) == 67)
        vf.write32(bar, offset, tail)
        let frames = (0..<6).map { testFrame(from: bench.mac(0), to: bench.mac(1), seed: UInt64($0)) }
        for f in frames { #expect(bench.vfs[0].send(f)) }
        #expect(bench.vfs[1].receiveFrames() == frames)
    }

    @Test("16-bit tail writes still take the general path and land in bits 15:0")
    func narrowTailWrite() throws {
        let bench = try IxgbeBench(vfCount: 2)
        let vf = bench.bus.access(bench.pf.vfAddresses[1])
        let offset = UInt64(V.VFRDT.offset(1))
        vf.barWrite(bar, offset: offset, width: .word, value: 0x0012)
        #expect(vf.read32(bar, offset) == 0x12)
        vf.barWrite(bar, offset: offset + 2, width: .word, value: 0xABCD)
        #expect(vf.read32(bar, offset) == 0x12, "bits 31:16 are reserved")
    }
}
