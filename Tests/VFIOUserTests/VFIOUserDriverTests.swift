import CVFIOUser
import Drivers
import Foundation
import Host
import NVMe
import PCIe
import Testing
import VFIOUser

/// The reference drivers through a vfio-user session: every register access a message, DMA
/// into memfd-backed client RAM, completions signalled on eventfds. This is the path a guest
/// kernel takes through QEMU's vfio-user-pci.
@Suite("vfio-user endpoint: a driver on the far side of the socket")
struct VFIOUserDriverTests {
    private func nvmeClient(_ slot: String) throws -> (VirtualHost, VFIOUserTestClient) {
        let host = try VirtualHost(profile: try HostProfile.named("default"))
        let bdf = try #require(BDF(slot))
        host.bringUp(leavingUnbound: [bdf])
        let function = try #require(host.bus.function(at: bdf))
        let client = VFIOUserTestClient(
            endpoint: VFIOUserEndpoint(function: function, bus: host.bus), clock: host.bus.services.clock)
        client.connect()
        return (host, client)
    }

    @Test("the NVMe driver starts the EBS controller, writes and reads back through client RAM, on MSI-X eventfds")
    func nvmeReadBack() throws {
        let (_, client) = try nvmeClient("00:1e.0")
        let driver = try NVMeDriver(access: client, configuration: .init(ioQueueCount: 1, ioQueueDepth: 16, interrupts: true))
        try driver.start()
        let buffer = try client.allocateDMA(8192)
        for i in 0..<8192 { buffer.host[i] = UInt8(truncatingIfNeeded: i &* 7 &+ 3) }
        try driver.write(lba: 40, blocks: 16, from: buffer)
        let back = try client.allocateDMA(8192)
        try driver.read(lba: 40, blocks: 16, into: back)
        #expect(Array(back.host) == Array(buffer.host))
        let stats = client.endpoint.statistics
        #expect(stats.interruptsSignalled > 0, "completions arrived as eventfd writes")
        #expect(stats.errorReplies == 0)
    }

    @Test("after DMA_UNMAP the device cannot reach client RAM: the command fails, nothing is written, the device lives")
    func unmapCutsDMA() throws {
        let (host, client) = try nvmeClient("00:1e.0")
        let driver = try NVMeDriver(access: client, configuration: .init(ioQueueCount: 1, ioQueueDepth: 16))
        try driver.start()
        let unmap = le(UInt32(24)) + le(UInt32(0)) + le(client.ramBase) + le(UInt64(client.ramSize))
        let reply = try #require(client.call(.dmaUnmap, unmap))
        #expect(reply.header.flags & VFIOUser.Flags.error == 0)
        #expect(reply.payload == unmap, "the reply echoes the unmapped window")
        #expect(client.endpoint.dmaWindows.isEmpty)
        #expect(host.bus.services.memory.regions.allSatisfy { $0.host != client.ram })
        let buffer = try client.allocateDMA(4096)
        #expect(throws: (any Error).self) { try driver.read(lba: 0, blocks: 8, into: buffer) }
        #expect(client.configRead(0, width: .word) == 0x1d0f, "config space still answers")
        #expect(isErrorReply(client.call(.dmaUnmap, unmap)), "unmapping twice is an error")
    }

    @Test("bad DMA maps: overlap, misalignment, a window past the end of the file, two descriptors")
    func badMaps() throws {
        let (_, client) = try nvmeClient("00:1e.0")
        func map(_ address: UInt64, _ size: UInt64, offset: UInt64 = 0, fds: [Int32]) -> Bool {
            isErrorReply(client.call(.dmaMap, le(UInt32(32)) + le(UInt32(3)) + le(offset) + le(address) + le(size), fds: fds))
        }
        let fd = dbvu_memfd_create("extra", 1 << 20)
        defer { close(fd) }
        #expect(map(client.ramBase + 4096, 4096, fds: [fd]), "overlaps the RAM window")
        #expect(map(0x9000_0001, 4096, fds: [fd]), "unaligned address")
        #expect(map(0x9000_0000, 4096, offset: 1 << 20, fds: [fd]), "beyond the end of the file")
        #expect(map(0x9000_0000, 0, fds: [fd]), "empty")
        #expect(map(0x9000_0000, 4096, fds: [fd, fd]), "two descriptors")
        #expect(map(UInt64.max - 4095, 8192, fds: [fd]), "wraps")
        #expect(!map(0x9000_0000, 1 << 20, fds: [fd]), "a good window still maps")
        #expect(client.endpoint.dmaWindows.count == 2)
    }

    @Test("SET_IRQS: eventfd count must match, vectors must exist, MSI-X is not maskable, disabling works")
    func setIRQs() throws {
        let (_, client) = try nvmeClient("00:1e.0")
        let vectors = UInt32(client.irqCount(VFIOUser.IRQ.msix))
        let trigger = VFIOUser.IRQSetFlags.dataEventFD | VFIOUser.IRQSetFlags.actionTrigger
        func set(_ flags: UInt32, _ index: UInt32, _ start: UInt32, _ count: UInt32, fds: [Int32] = []) -> Bool {
            !isErrorReply(client.call(.deviceSetIRQs, le(UInt32(20)) + le(flags) + le(index) + le(start) + le(count), fds: fds))
        }
        let fd = dbvu_eventfd_create()
        defer { close(fd) }
        #expect(!set(trigger, VFIOUser.IRQ.msix, vectors - 1, 2, fds: [fd, fd]), "past the last vector")
        #expect(!set(trigger, VFIOUser.IRQ.msix, 0, 2, fds: [fd]), "one eventfd for two vectors")
        #expect(!set(VFIOUser.IRQSetFlags.dataNone | VFIOUser.IRQSetFlags.actionMask, VFIOUser.IRQ.msix, 0, 1))
        #expect(!set(trigger | VFIOUser.IRQSetFlags.dataBool, VFIOUser.IRQ.msix, 0, 1))
        #expect(!set(trigger, VFIOUser.IRQ.intx, 0, 1, fds: [fd]), "no INTx")
        #expect(set(VFIOUser.IRQSetFlags.dataNone | VFIOUser.IRQSetFlags.actionTrigger, VFIOUser.IRQ.intx, 0, 0))
        #expect(set(trigger, VFIOUser.IRQ.msix, 1, 1, fds: [fd]))
        #expect(
            set(VFIOUser.IRQSetFlags.dataNone | VFIOUser.IRQSetFlags.actionTrigger, VFIOUser.IRQ.msix, 1, 1), "client-triggered")
        #expect(dbvu_eventfd_drain(fd) == 1)
        #expect(set(VFIOUser.IRQSetFlags.dataNone | VFIOUser.IRQSetFlags.actionTrigger, VFIOUser.IRQ.msix, 0, 0), "disable all")
        #expect(!client.endpoint.hasEventFD(vector: 0) && !client.endpoint.hasEventFD(vector: 1))
    }

    @Test("DEVICE_RESET is a function level reset: the controller is disabled and a new driver can start it")
    func reset() throws {
        let (_, client) = try nvmeClient("00:1f.0")
        let driver = try NVMeDriver(access: client, configuration: .init(ioQueueCount: 1, ioQueueDepth: 16))
        try driver.start()
        #expect(client.barRead(BARIndex(clamping: 0), offset: 0x1c, width: .dword) & 1 == 1, "CSTS.RDY")
        #expect(!isErrorReply(client.call(.deviceReset, [])))
        #expect(client.barRead(BARIndex(clamping: 0), offset: 0x1c, width: .dword) & 1 == 0, "not ready after reset")
        client.configWrite(4, width: .word, value: 0x0006)
        let again = try NVMeDriver(access: client, configuration: .init(ioQueueCount: 1, ioQueueDepth: 16))
        try again.start()
        let buffer = try client.allocateDMA(4096)
        try again.read(lba: 0, blocks: 1, into: buffer)
    }
}

func isErrorReply(_ reply: (header: VFIOUserHeader, payload: [UInt8])?) -> Bool {
    guard let reply else { return false }
    return reply.header.flags & VFIOUser.Flags.error != 0
}
