import RegisterModel
import Testing

@testable import Intel82599

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

    /// Every slot index a ``StatisticSlots`` field holds (octet counters: low and high), found by
    /// reflection so that a counter added later is seen without being listed here.
    static func slotIndices(of value: Any) -> [Int] {
        if let slot = value as? RegisterSlot { return [slot.index] }
        if let counter = value as? StatisticSlots.OctetCounter { return [counter.low.index, counter.high.index] }
        return Mirror(reflecting: value).children.flatMap { slotIndices(of: $0.value) }
    }

    @Test("a device reset forgets a pending count in every slot the frame path can count into")
    func clearForgetsEveryCountedSlot() throws {
        let file = Intel82599Device.registersAtReset
        let slots = Intel82599Device.statisticSlots
        var fields = Set<Int>()
        for child in Mirror(reflecting: slots).children where child.label != "countedSlots" && child.label != "octetCounterBySlot"
        {
            fields.formUnion(Self.slotIndices(of: child.value))
        }
        let octetHighs = Set(slots.octetCounterBySlot.compactMap { $0?.high.index })
        let missing = fields.subtracting(octetHighs).subtracting(slots.countedSlots)
        let extra = Set(slots.countedSlots).subtracting(fields)
        #expect(
            missing.isEmpty && extra.isEmpty,
            "not cleared: \(missing.sorted()), not a counter: \(extra.sorted()), fields \(fields.count)")
        #expect(slots.countedSlots.count == 10 + 3 * 16 + 3 * 64 + 2 + 2 * 64)

        let pending = PendingStatistics(file)
        defer { pending.deallocate() }
        for index in slots.countedSlots { pending.add(7, to: RegisterSlot(index: index, mask: ~0)) }
        pending.clear(slots)
        for index in 0...file.discardSlot.index { #expect(pending.take(index) == 0, "slot \(index)") }
    }
}
