import PCIe
import Testing

/// Guest memory only its owner can reach (a vfio-user client's window without a descriptor):
/// the port stages every access through the owner and never caches it.
@Suite("DMA ports: remote guest memory")
struct RemoteGuestMemoryTests {
    /// An owner whose "far side" is a byte array; it records every stage request.
    final class Owner: RemoteGuestMemory {
        var far = [UInt8](repeating: 0, count: 0x2000)
        let staging = UnsafeMutableRawPointer.allocate(byteCount: 0x2000, alignment: 4096)
        var requests: [(offset: UInt64, length: UInt64, access: DMAAccess)] = []
        var reachable = true

        deinit { staging.deallocate() }

        func stage(offset: UInt64, length: UInt64, access: DMAAccess) -> Bool {
            requests.append((offset, length, access))
            guard reachable else { return false }
            for i in 0..<Int(length) {
                staging.storeBytes(of: far[Int(offset) + i], toByteOffset: Int(offset) + i, as: UInt8.self)
            }
            return true
        }
    }

    private func setUp() throws -> (Owner, DMAPort, DMAFaultLog) {
        let bus = PCIBus()
        let function = try PCIFunction(
            Fixtures.fullConfiguration(), at: BDF(bus: 0, device: 5, function: 0), services: bus.services)
        try bus.attach(function)
        bus.configWrite(function.bdf, 4, width: .word, value: 4)
        let owner = Owner()
        let region = bus.services.memory.adopt(size: 0x2000, host: owner.staging, release: nil, remote: owner)
        try function.dma.domain.map(IOVA(0x10_0000), size: 0x2000, to: region.base, permissions: .readWrite)
        return (owner, function.dma, bus.services.faults)
    }

    @Test("every access is staged through the owner, twice for the same address: nothing enters the IOTLB")
    func stagedNeverCached() throws {
        let (owner, port, _) = try setUp()
        owner.far[0x104] = 0x2a
        #expect(try port.load(UInt32.self, from: IOVA(0x10_0104)) == 0x2a)
        owner.far[0x104] = 0x2b
        #expect(try port.load(UInt32.self, from: IOVA(0x10_0104)) == 0x2b, "the second load sees the owner's new byte")
        try port.store(UInt16(7), to: IOVA(0x10_1000))
        #expect(owner.requests.map(\.offset) == [0x104, 0x104, 0x1000])
        #expect(owner.requests.map(\.access) == [.read, .read, .write])
        #expect(port.window(covering: IOVA(0x10_0000), length: 16, access: .read) == nil, "no direct window to remote memory")
    }

    @Test("an owner that cannot be reached makes the access a recorded remoteUnavailable fault")
    func unreachableOwnerFaults() throws {
        let (owner, port, faults) = try setUp()
        owner.reachable = false
        #expect(throws: DMAError.self) { try port.load(UInt64.self, from: IOVA(0x10_0200)) }
        guard case .remoteUnavailable(_, let length) = faults.faults.last?.reason else {
            Issue.record("fault \(String(describing: faults.faults.last))")
            return
        }
        #expect(length == 8)
    }
}
