import PCIe
import Testing

@Suite("IOMMU domains and DMA ports")
struct DMAPortTests {
    struct Setup {
        let memory = GuestMemory()
        let faults = DMAFaultLog()
        let domain = IOMMUDomain()
        let region: GuestMemoryRegion
        let port: DMAPort
        let bus: PCIBus
        let function: PCIFunction

        /// A function with bus mastering on and a 16 KiB region; nothing mapped yet.
        init() throws {
            bus = PCIBus(memory: memory)
            function = try PCIFunction(
                Fixtures.fullConfiguration(), at: BDF(bus: 0, device: 5, function: 0),
                services: bus.services, domain: domain)
            try bus.attach(function)
            bus.configWrite(function.bdf, 4, width: .word, value: 4)
            region = memory.allocate(0x4000)
            port = function.dma
        }
    }

    @Test("The port's translation cache never outlives a mapping: unmap and remap take effect at once")
    func translationCacheFollowsTheDomain() throws {
        let s = try Setup()
        try s.domain.map(IOVA(0x1000), size: 0x2000, to: s.region.base, permissions: [.read, .write])
        try s.port.store(UInt32(7), to: IOVA(0x1800))
        #expect(s.region.host.load(fromByteOffset: 0x800, as: UInt32.self) == 7)
        try s.domain.unmap(IOVA(0x1000))
        #expect(throws: DMAError.unmapped(IOVA(0x1800), length: 4)) { try s.port.store(UInt32(8), to: IOVA(0x1800)) }
        try s.domain.map(IOVA(0x1000), size: 0x1000, to: s.region.base.advanced(by: 0x2000), permissions: .read)
        #expect(throws: DMAError.permission(IOVA(0x1004), .write)) { try s.port.store(UInt32(9), to: IOVA(0x1004)) }
        s.region.host.storeBytes(of: UInt32(0x55).littleEndian, toByteOffset: 0x2004, as: UInt32.self)
        #expect(try s.port.load(UInt32.self, from: IOVA(0x1004)) == 0x55, "the new mapping's target, not the old one")
        #expect(throws: DMAError.unmapped(IOVA(0x1ffe), length: 4)) { try s.port.load(UInt32.self, from: IOVA(0x1ffe)) }
        #expect(s.region.host.load(fromByteOffset: 0x800, as: UInt32.self) == 7)
    }

    @Test("Removing a guest memory region drops the port's cached translations: DMA faults, freed memory is not touched")
    func translationCacheFollowsGuestMemory() throws {
        let s = try Setup()
        let extra = s.memory.allocate(0x1000)
        try s.domain.map(IOVA(0x8000), size: 0x1000, to: extra.base, permissions: .readWrite)
        try s.port.store(UInt32(0x1234), to: IOVA(0x8010))
        #expect(extra.host.load(fromByteOffset: 0x10, as: UInt32.self) == 0x1234)
        let window = try #require(s.port.window(covering: IOVA(0x8000), length: 0x1000, access: .write))
        let stamp = s.port.translationStamp
        #expect(s.port.holds(stamp))
        #expect(window.pointer(0x8010, length: 4) == extra.host + 0x10)

        #expect(s.memory.remove(extra))
        #expect(!s.port.holds(stamp), "a window taken before the removal must not be used")
        #expect(s.port.window(covering: IOVA(0x8000), length: 4, access: .read) == nil)
        let gone = DMAError.outsideGuestMemory(extra.base.advanced(by: 0x10), length: 4)
        #expect(throws: gone) { try s.port.store(UInt32(0x5678), to: IOVA(0x8010)) }
        #expect(throws: gone) { try s.port.load(UInt32.self, from: IOVA(0x8010)) }
        #expect(extra.host.load(fromByteOffset: 0x10, as: UInt32.self) == 0x1234, "the IOTLB's stale pointer was not used")
        #expect(s.bus.services.faults.total == 2)
        #expect(!s.memory.remove(extra))
    }

    @Test("A translation stamp holds until a map, an unmap, a removed region or bus mastering off")
    func translationStamp() throws {
        let s = try Setup()
        let spare = s.memory.allocate(0x1000)
        var stamp = s.port.translationStamp
        #expect(s.port.holds(stamp))
        #expect(!s.port.holds(.never))
        try s.domain.map(IOVA(0x1000), size: 0x1000, to: s.region.base, permissions: .read)
        #expect(!s.port.holds(stamp))
        stamp = s.port.translationStamp
        _ = s.memory.allocate(0x1000)
        #expect(s.port.holds(stamp), "adding a region changes no translation")
        s.bus.configWrite(s.function.bdf, 4, width: .word, value: 0)
        #expect(!s.port.holds(stamp))
        s.bus.configWrite(s.function.bdf, 4, width: .word, value: 4)
        #expect(s.port.holds(stamp))
        s.memory.remove(spare)
        #expect(!s.port.holds(stamp))
        stamp = s.port.translationStamp
        try s.domain.unmap(IOVA(0x1000))
        #expect(!s.port.holds(stamp))
    }

    @Test("A read-only mapping allows reads and refuses writes with a permission fault")
    func permission() throws {
        let s = try Setup()
        try s.domain.map(IOVA(0x1000), size: 0x1000, to: s.region.base, permissions: .read)
        s.region.host.storeBytes(of: UInt32(0xdead_beef).littleEndian, as: UInt32.self)
        #expect(try s.port.load(UInt32.self, from: IOVA(0x1000)) == 0xdead_beef)
        #expect(throws: DMAError.permission(IOVA(0x1004), .write)) { try s.port.store(UInt32(1), to: IOVA(0x1004)) }
        let fault = try #require(s.bus.services.faults.faults.last)
        #expect(fault.function == s.function.bdf)
        #expect(fault.address == IOVA(0x1004))
        #expect(fault.length == 4)
        #expect(fault.access == .write)
        #expect(s.region.host.load(fromByteOffset: 4, as: UInt32.self) == 0)
    }

    @Test("Unmapped and partially mapped ranges fault without touching memory")
    func unmappedAndPartial() throws {
        let s = try Setup()
        try s.domain.map(IOVA(0x10000), size: 0x1000, to: s.region.base, permissions: .readWrite)
        let bytes: [UInt8] = Array(repeating: 0xaa, count: 0x20)
        #expect(throws: DMAError.unmapped(IOVA(0x20000), length: 0x20)) {
            try bytes.withUnsafeBytes { try s.port.write(IOVA(0x20000), from: $0) }
        }
        #expect(throws: DMAError.unmapped(IOVA(0x10ff0), length: 0x20)) {
            try bytes.withUnsafeBytes { try s.port.write(IOVA(0x10ff0), from: $0) }
        }
        #expect(throws: DMAError.unmapped(IOVA(0xfff0), length: 0x20)) {
            try bytes.withUnsafeBytes { try s.port.write(IOVA(0xfff0), from: $0) }
        }
        let host = UnsafeRawBufferPointer(start: s.region.host, count: 0x1000)
        #expect(host.allSatisfy { $0 == 0 })
        #expect(s.bus.services.faults.total == 3)
        #expect(s.bus.services.faults.faults(of: s.function.bdf).map(\.address) == [IOVA(0x20000), IOVA(0x10ff0), IOVA(0xfff0)])
    }

    @Test("Copy checks both sides before moving a byte")
    func copy() throws {
        let s = try Setup()
        try s.domain.map(IOVA(0x10000), size: 0x2000, to: s.region.base, permissions: .readWrite)
        let host = UnsafeMutableRawBufferPointer(start: s.region.host, count: 0x4000)
        for i in 0..<0x100 { host[i] = UInt8(i) }
        try s.port.copy(from: IOVA(0x10000), to: IOVA(0x11000), length: 0x100)
        #expect(Array(host[0x1000..<0x1100]) == (0..<0x100).map { UInt8($0) })
        #expect(throws: DMAError.unmapped(IOVA(0x11f80), length: 0x100)) {
            try s.port.copy(from: IOVA(0x10000), to: IOVA(0x11f80), length: 0x100)
        }
        #expect(host[0x1f80] == 0)
    }

    @Test("Bus master disabled: no DMA, a busMasterDisabled fault")
    func busMasterDisabled() throws {
        let s = try Setup()
        try s.domain.map(IOVA(0x10000), size: 0x1000, to: s.region.base, permissions: .readWrite)
        s.bus.configWrite(s.function.bdf, 4, width: .word, value: 0)
        #expect(!s.port.busMasterEnabled)
        #expect(throws: DMAError.busMasterDisabled) { try s.port.store(UInt64(1), to: IOVA(0x10000)) }
        #expect(s.region.host.load(as: UInt64.self) == 0)
        #expect(s.bus.services.faults.faults.last?.reason == .busMasterDisabled)
        s.bus.configWrite(s.function.bdf, 4, width: .word, value: 4)
        try s.port.store(UInt64(1), to: IOVA(0x10000))
        #expect(s.region.host.load(as: UInt64.self) == 1)
    }

    @Test("A mapping outside guest memory faults at access time")
    func outsideGuestMemory() throws {
        let s = try Setup()
        try s.domain.map(IOVA(0), size: 0x1000, to: GuestPhysicalAddress(0x10_0000), permissions: .readWrite)
        #expect(throws: DMAError.outsideGuestMemory(GuestPhysicalAddress(0x10_0010), length: 8)) {
            try s.port.store(UInt64(1), to: IOVA(0x10))
        }
    }

    @Test("Overlapping, empty and wrapping mappings are rejected; unmap removes")
    func mappingRules() throws {
        let d = IOMMUDomain()
        let gpa = GuestPhysicalAddress(0x1_0000_0000)
        try d.map(IOVA(0x2000), size: 0x2000, to: gpa, permissions: .readWrite)
        #expect(throws: IOMMUDomain.Error.overlap(IOVA(0x3fff), 1)) {
            try d.map(IOVA(0x3fff), size: 1, to: gpa, permissions: .read)
        }
        #expect(throws: IOMMUDomain.Error.overlap(IOVA(0x1000), 0x1001)) {
            try d.map(IOVA(0x1000), size: 0x1001, to: gpa, permissions: .read)
        }
        #expect(throws: IOMMUDomain.Error.overlap(IOVA(0), 0x10000)) {
            try d.map(IOVA(0), size: 0x10000, to: gpa, permissions: .read)
        }
        #expect(throws: IOMMUDomain.Error.invalid(IOVA(0x9000), 0)) {
            try d.map(IOVA(0x9000), size: 0, to: gpa, permissions: .read)
        }
        #expect(throws: IOMMUDomain.Error.invalid(IOVA(~0 - 0xf), 0x20)) {
            try d.map(IOVA(~0 - 0xf), size: 0x20, to: gpa, permissions: .read)
        }
        try d.map(IOVA(0x1000), size: 0x1000, to: gpa, permissions: .read)
        try d.map(IOVA(0x4000), size: 0x1000, to: gpa, permissions: .read)
        #expect(d.mappings.map(\.iova) == [IOVA(0x1000), IOVA(0x2000), IOVA(0x4000)])
        #expect(throws: IOMMUDomain.Error.notMapped(IOVA(0x2800))) { try d.unmap(IOVA(0x2800)) }
        try d.unmap(IOVA(0x2000))
        #expect(d.translate(IOVA(0x2800), length: 4, access: .read) == .failure(.unmapped(IOVA(0x2800), length: 4)))
        #expect(d.translate(IOVA(0x1800), length: 4, access: .read) == .success(gpa.advanced(by: 0x800)))
    }

    @Test("Guest memory rejects overlapping regions and allocates page-aligned zeroed memory")
    func guestMemory() throws {
        let m = GuestMemory(allocationBase: GuestPhysicalAddress(0x1000))
        let r = m.allocate(10)
        #expect(r.base.value % 4096 == 0 && r.size == 4096)
        #expect(UnsafeRawBufferPointer(start: r.host, count: 4096).allSatisfy { $0 == 0 })
        #expect(throws: GuestMemory.Error.self) {
            try m.add(GuestMemoryRegion(base: GuestPhysicalAddress(r.base.value + 0xff0), allocating: 0x100))
        }
        #expect(m.host(r.base.advanced(by: 4092), length: 4) != nil)
        #expect(m.host(r.base.advanced(by: 4093), length: 4) == nil)
        #expect(m.host(GuestPhysicalAddress(0), length: 1) == nil)
    }
}
