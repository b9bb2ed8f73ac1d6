import PCIe
import Testing

/// A model that keeps BAR0 as plain memory and takes write-combined bursts whole.
final class BurstModel: PCIDeviceModel {
    var bursts: [(bar: BARIndex, offset: UInt64, bytes: [UInt8])] = []
    var writes = 0

    func barRead(_ bar: BARIndex, offset: UInt64, width: AccessWidth) -> UInt64 { 0 }
    func barWrite(_ bar: BARIndex, offset: UInt64, width: AccessWidth, value: UInt64) { writes += 1 }
    func reset(_ kind: ResetKind) {}

    func barWriteCombined(_ bar: BARIndex, offset: UInt64, bytes: UnsafeRawBufferPointer) {
        bursts.append((bar, offset, Array(bytes)))
    }
}

@Suite("Write-combined bursts")
struct WriteCombiningTests {
    /// The fixture function with a ``BurstModel`` behind it, its BARs assigned.
    private func burstBench() throws -> (Bench, BurstModel) {
        let b = try Bench()
        let model = BurstModel()
        b.function.model = model
        Firmware(bus: b.bus).enumerateAndAssign()
        return (b, model)
    }

    private func accesses(offset: UInt64, count: Int) -> [String] {
        var out: [String] = []
        forEachNaturallyAlignedAccess(offset: offset, count: count) { at, width in out.append("\(at):\(width.rawValue)") }
        return out
    }

    @Test("A burst splits into the widest naturally aligned accesses, in ascending order")
    func split() {
        #expect(accesses(offset: 0x1000, count: 16) == ["0:8", "8:8"])
        #expect(accesses(offset: 3, count: 13) == ["0:1", "1:4", "5:8"])
        #expect(accesses(offset: 6, count: 3) == ["0:2", "2:1"])
        #expect(accesses(offset: 4, count: 12) == ["0:4", "4:8"])
        #expect(accesses(offset: 0, count: 0).isEmpty)
    }

    @Test("A model without a block path sees the writes the burst is made of, little-endian")
    func defaultModelSeesSeparateWrites() throws {
        let b = try Bench()
        Firmware(bus: b.bus).enumerateAndAssign()
        let base = try #require(b.function.barAddress(0))
        let bytes: [UInt8] = (0..<13).map { UInt8($0 + 1) }
        bytes.withUnsafeBytes { b.bus.mmioWriteCombined(BusAddress(base + 0x23), bytes: $0) }
        #expect(b.model.writes == 3)
        #expect(b.model.storage[0x23] == 0x01)
        #expect(b.model.storage[0x24] == 0x0504_0302)
        #expect(b.model.storage[0x28] == 0x0d0c_0b0a_0908_0706)
        #expect(b.bus.services.guestErrors.counts.isEmpty)
    }

    @Test("A model with a block path gets the burst once, through the driver's BAR view")
    func blockModelGetsTheBurstWhole() throws {
        let (b, model) = try burstBench()
        b.enable()
        let access = b.bus.access(b.bdf)
        let bytes: [UInt8] = (0..<128).map { UInt8(truncatingIfNeeded: $0 &* 7) }
        bytes.withUnsafeBytes { access.barWriteCombined(BARIndex(clamping: 2), offset: 0x180, bytes: $0) }
        #expect(model.bursts.count == 1)
        #expect(model.bursts.first?.bar == BARIndex(clamping: 2))
        #expect(model.bursts.first?.offset == 0x180)
        #expect(model.bursts.first?.bytes == bytes)
        #expect(model.writes == 0)
    }

    @Test("A burst running past the end of a BAR is delivered write by write; the part outside is refused")
    func burstPastTheBAREnd() throws {
        let (b, model) = try burstBench()
        let base = try #require(b.function.barAddress(0))
        let bytes = [UInt8](repeating: 0xab, count: 32)
        bytes.withUnsafeBytes { b.bus.mmioWriteCombined(BusAddress(base + 0x1000 - 16), bytes: $0) }
        #expect(model.bursts.isEmpty, "not routed as one block")
        #expect(model.writes == 2, "the two qwords inside BAR0")
        let refused = b.bus.services.guestErrors.counts.values.reduce(0, +)
        #expect(refused == 2, "the two qwords past its end")
    }

    @Test("Bytes of a burst that reach the MSI-X table program it as separate writes; the model sees none")
    func burstOverTheMSIXTable() throws {
        let (b, model) = try burstBench()
        let table = try #require(b.function.barAddress(4))
        var entry = [UInt8](repeating: 0, count: 16)
        entry.withUnsafeMutableBytes { e in
            e.storeBytes(of: UInt64(0xfee0_1000).littleEndian, toByteOffset: 0, as: UInt64.self)
            e.storeBytes(of: UInt32(0x4242).littleEndian, toByteOffset: 8, as: UInt32.self)
            e.storeBytes(of: UInt32(0).littleEndian, toByteOffset: 12, as: UInt32.self)
        }
        entry.withUnsafeBytes { b.bus.mmioWriteCombined(BusAddress(table + 0x30), bytes: $0) }
        #expect(b.bus.mmioRead(BusAddress(table + 0x30), width: .qword) == 0xfee0_1000)
        #expect(b.bus.mmioRead(BusAddress(table + 0x38), width: .dword) == 0x4242)
        #expect(try #require(b.function.msix).isMasked(3) == false)
        #expect(model.bursts.isEmpty && model.writes == 0)
    }
}
