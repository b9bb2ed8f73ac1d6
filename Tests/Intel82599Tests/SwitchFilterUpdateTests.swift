import Network
import PCIe
import RegisterModel
import TestSupport
import Testing

@testable import Intel82599

/// A write to one filter register reloads only what that register determines
/// (``SwitchFilters/receiveAddressWritten(at:_:)``, ``SwitchFilters/poolControlWritten(at:_:)``).
/// After every write, VF reset and device reset, the filters must equal filters built from
/// scratch out of the same registers (the MAC table slot by slot, so lookups cannot differ).
@Suite("82599 switch filters: per-register updates")
struct SwitchFilterUpdateTests {
    /// Filters derived from `registers` alone, as a device reset builds them (plus VLANs).
    static func rebuilt(from registers: RegisterFile) -> SwitchFilters {
        var f = SwitchFilters()
        f.rebuildAddresses(registers)
        f.rebuildPoolControls(registers)
        f.rebuildVLANs(registers)
        return f
    }

    /// The fields in which `a` and `b` differ, by name (nil when equal).
    static func difference(_ a: SwitchFilters, _ b: SwitchFilters) -> String? {
        guard a != b else { return nil }
        let left = Mirror(reflecting: a).children
        let right = Array(Mirror(reflecting: b).children)
        var names: [String] = []
        for (i, field) in left.enumerated() {
            // The MAC table compares by content (stale pools of emptied slots do not count).
            let same = field.label == "macs" ? a.macs == b.macs : "\(field.value)" == "\(right[i].value)"
            if !same { names.append(field.label ?? "field \(i)") }
        }
        return names.joined(separator: ", ")
    }

    /// Filter registers at random: every instance of the per-entry and per-pool arrays.
    static func randomFilterRegister(_ g: inout SplitMix64) -> Int {
        let n = Int(g.next() % 128)
        switch g.next() % 14 {
        case 0: return R.RAL.offset(n)
        case 1, 2: return R.RAH.offset(n)
        case 3: return R.MPSAR_LO.offset(n)
        case 4: return R.MPSAR_HI.offset(n)
        case 5: return R.VMOLR.offset(n % 64)
        case 6: return R.VMVIR.offset(n % 64)
        case 7: return [R.PFVFRE.offset(0), R.PFVFRE.offset(1), R.PFVFTE.offset(0), R.PFVFTE.offset(1)][n % 4]
        case 8: return R.PFVFSPOOF.offset(n % 8)
        case 9: return [R.PFDTXGSWC.offset, R.MCSTCTRL.offset, R.FCTRL.offset][n % 3]
        case 10: return R.MTA.offset(n)
        case 11: return R.VLVF.offset(n % 64)
        case 12: return R.VLVFB.offset(n)
        default: return 0x05400 + 4 * (n % 32)  // RAL/RAH(0-15) alias
        }
    }

    /// Values that make entries collide: few distinct addresses, Address Valid half the time.
    static func randomValue(for offset: Int, _ g: inout SplitMix64) -> UInt32 {
        let bits = g.next()
        if (R.RAH.offset..<R.RAH.offset + 8 * R.RAH.count).contains(offset), (offset - R.RAH.offset) % 8 == 0 {
            return UInt32(bits % 3) | (bits & 0x100 != 0 ? UInt32(R.RAH.av.mask) : 0)
        }
        if (R.RAL.offset..<R.RAL.offset + 8 * R.RAL.count).contains(offset), (offset - R.RAL.offset) % 8 == 0 {
            return UInt32(bits % 4)
        }
        return bits & 0x3 == 0 ? 0 : UInt32(truncatingIfNeeded: bits >> 8)
    }

    @Test("random filter writes of every width, VF resets and device resets", arguments: [1, 2, 3])
    func filtersMatchARebuildAfterEveryChange(seed: UInt64) throws {
        let bench = try NICBench(totalVFs: 64)
        bench.settle()
        let device = try bench.device
        var g = SplitMix64(seed: seed)
        for step in 0..<3000 {
            switch g.next() % 40 {
            case 0:
                device.virtualFunctionReset(vf: Int(g.next() % 64))
            case 1:
                bench.write(R.CTRL.offset, UInt32(R.CTRL.resetField.mask))
                bench.settle()
            default:
                let offset = Self.randomFilterRegister(&g)
                let value = Self.randomValue(for: offset, &g)
                switch g.next() % 4 {
                case 0:
                    let at = UInt64(offset + Int(g.next() % 4))
                    bench.access.barWrite(bench.bar, offset: at, width: .byte, value: UInt64(value & 0xFF))
                case 1:
                    let at = UInt64(offset + 2 * Int(g.next() % 2))
                    bench.access.barWrite(bench.bar, offset: at, width: .word, value: UInt64(value & 0xFFFF))
                default: bench.write(offset, value)
                }
            }
            let difference = Self.difference(device.filters, Self.rebuilt(from: device.registers))
            try #require(difference == nil, "seed \(seed), step \(step): \(difference ?? "")")
        }
        #expect(device.filters.receiveAddresses.contains { $0.valid })
    }

    @Test("a write that leaves a receive address as it was keeps the table; one that changes it rebuilds it")
    func receiveAddressEntries() throws {
        let bench = try NICBench(totalVFs: 8)
        bench.settle()
        let device = try bench.device
        bench.write(R.RAL.offset(5), 0x0200_0000)
        bench.write(R.RAH.offset(5), 0x0a05 | UInt32(R.RAH.av.mask))
        bench.write(R.MPSAR_LO.offset(5), 0x4)
        let mac = MACAddress(receiveAddressLow: 0x0200_0000, high: 0x0a05).value
        #expect(device.filters.macs.lookup(mac) == (true, 0x4))
        bench.write(R.MPSAR_HI.offset(5), 0x1)
        #expect(device.filters.macs.lookup(mac) == (true, 0x1_0000_0004))
        bench.write(R.RAH.offset(5), 0x0a05)
        #expect(device.filters.macs.lookup(mac) == (false, 0))
        #expect(Self.difference(device.filters, Self.rebuilt(from: device.registers)) == nil)
    }
}
