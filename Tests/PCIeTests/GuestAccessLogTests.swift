import PCIe
import Testing

@Suite("Guest access log")
struct GuestAccessLogTests {
    @Test("off by default; when set, config and MMIO accesses to a function are recorded in order, a burst as its writes")
    func recordsRoutedAccesses() throws {
        let b = try Bench()
        Firmware(bus: b.bus).enumerateAndAssign()
        #expect(b.bus.accessLog == nil)
        let base = try #require(b.function.barAddress(0))
        let log = GuestAccessLog()
        b.bus.accessLog = log
        _ = b.bus.configRead(b.bdf, ConfigOffset(0), width: .dword)
        b.bus.configWrite(b.bdf, ConfigOffset(4), width: .word, value: 6)
        b.bus.mmioWrite(BusAddress(base + 0x10), width: .dword, value: 0xABCD)
        _ = b.bus.mmioRead(BusAddress(base + 0x10), width: .dword)
        let bytes: [UInt8] = (0..<12).map { UInt8($0 + 1) }
        bytes.withUnsafeBytes { b.bus.mmioWriteCombined(BusAddress(base + 0x24), bytes: $0) }
        // Nothing there: neither an empty slot nor an unmapped address is recorded.
        _ = b.bus.configRead(BDF(bus: 0, device: 9, function: 0), ConfigOffset(0), width: .dword)
        b.bus.mmioWrite(BusAddress(0xdead_0000), width: .dword, value: 1)
        b.bus.accessLog = nil
        b.bus.mmioWrite(BusAddress(base + 0x10), width: .dword, value: 2)
        let bar = try #require(BARIndex(0))
        #expect(
            log.records == [
                .configRead(b.bdf, offset: 0, width: .dword),
                .configWrite(b.bdf, offset: 4, width: .word, value: 6),
                .mmioWrite(b.bdf, bar: bar, offset: 0x10, width: .dword, value: 0xABCD),
                .mmioRead(b.bdf, bar: bar, offset: 0x10, width: .dword),
                .mmioWrite(b.bdf, bar: bar, offset: 0x24, width: .dword, value: 0x0403_0201),
                .mmioWrite(b.bdf, bar: bar, offset: 0x28, width: .qword, value: 0x0c0b_0a09_0807_0605),
            ])
        let identity = try #require(log.identities[b.bdf])
        #expect(identity.vendor == b.function.vendorID && identity.device == b.function.deviceID)
        #expect(log.identities.count == 1)
    }

    @Test("a full log counts what it drops")
    func capacity() throws {
        let b = try Bench()
        let log = GuestAccessLog(capacity: 2)
        b.bus.accessLog = log
        for _ in 0..<5 { _ = b.bus.configRead(b.bdf, ConfigOffset(0), width: .word) }
        #expect(log.records.count == 2 && log.dropped == 3)
    }
}
