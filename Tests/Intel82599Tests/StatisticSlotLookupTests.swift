@testable import Intel82599
import RegisterModel
import Testing

/// ``StatisticSlots/octetCounter(atSlot:)``: a register read folds pending octets into the
/// 36-bit counter whose low or high register it reads, and into nothing else.
@Suite("82599 statistics: octet counters by slot")
struct StatisticSlotLookupTests {
    /// The low and high register of every octet counter, by name.
    static let octetPairs: [(low: String, high: String)] =
        [("GOTCL", "GOTCH"), ("GORCL", "GORCH"), ("PVFGOTC_LSB", "PVFGOTC_MSB"), ("PVFGORC_LSB", "PVFGORC_MSB")]

    @Test("every slot of the PF register file: a counter exactly for the halves of an octet counter")
    func everySlot() throws {
        let file = Intel82599Device.registersAtReset
        let slots = Intel82599Device.statisticSlots
        let block = Intel82599PFRegisters.block
        var halves = 0
        for register in block.registers {
            let pair = Self.octetPairs.first { $0.low == register.name || $0.high == register.name }
            for n in 0..<register.count {
                let slot = try #require(file.slot(at: register.offset(ofInstance: n)))
                let found = slots.octetCounter(atSlot: slot.index)
                guard let pair else {
                    #expect(found == nil, "\(register.name)[\(n)]")
                    continue
                }
                let counter = try #require(found, "\(register.name)[\(n)]")
                let low = try #require(block.registers.first { $0.name == pair.low })
                let high = try #require(block.registers.first { $0.name == pair.high })
                #expect(counter.low == file.slot(at: low.offset(ofInstance: n)), "\(register.name)[\(n)]")
                #expect(counter.high == file.slot(at: high.offset(ofInstance: n)), "\(register.name)[\(n)]")
                halves += 1
            }
        }
        #expect(halves == 2 * (2 + 2 * Intel82599.poolCount))
        #expect(slots.octetCounter(atSlot: -1) == nil)
        #expect(slots.octetCounter(atSlot: file.discardSlot.index + 1) == nil)
    }
}
