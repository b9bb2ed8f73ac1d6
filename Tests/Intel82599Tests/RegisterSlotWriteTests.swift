import Intel82599
import RegisterModel
import TestSupport
import Testing

/// ``RegisterFile/guestWriteSlot(at:)`` and ``RegisterFile/guestWrite(_:value:)`` must do what a
/// guest write at the register's offset does, on every register of both 82599 register files.
@Suite("register file: writes through a resolved slot")
struct RegisterSlotWriteTests {
    @Test("a slot write stores what a full-width write at the offset stores", arguments: ["PF", "VF"])
    func slotWriteMatchesOffsetWrite(file: String) throws {
        let block = file == "PF" ? Intel82599PFRegisters.block : Intel82599VFRegisters.block
        var bySlot = RegisterFile(block)
        var byOffset = RegisterFile(block)
        var resolved = 0
        var generator = SplitMix64(seed: 7)
        for register in block.registers {
            for n in 0..<register.count {
                let offset = register.offset(ofInstance: n)
                guard let slot = bySlot.guestWriteSlot(at: offset) else {
                    #expect(register.writeOneToClearMask != 0, "\(register.name): only write-one-to-clear registers have no slot")
                    continue
                }
                resolved += 1
                for _ in 0..<3 {
                    let value = generator.next()
                    bySlot.guestWrite(slot, value: value)
                    _ = byOffset.guestWrite(offset, width: register.width, value: value)
                    #expect(bySlot.value(at: offset) == byOffset.value(at: offset), "\(register.name)[\(n)]")
                }
            }
        }
        #expect(resolved > 100)
    }
}
