import CVFIOUser
import Foundation
import Host
import PCIe
import Testing
import VFIOUser

/// A DMA engine copy through a vfio-user session: one descriptor in the client's RAM that asks
/// for an interrupt on completion.
struct DMAEngineCopy {
    let client: VFIOUserTestClient
    let ring: DMABuffer
    let source: DMABuffer
    let destination: DMABuffer

    init(_ client: VFIOUserTestClient, length: Int = 256) throws {
        self.client = client
        ring = try client.allocateDMA(4096)
        source = try client.allocateDMA(length)
        destination = try client.allocateDMA(length)
        for i in 0..<length { source.host[i] = UInt8(truncatingIfNeeded: i &* 13 &+ 5) }
    }

    /// Writes descriptor `index` and rings the doorbell (tail = index + 1) with interrupts on.
    func run(index: Int = 0, length: Int? = nil) {
        guard let base = ring.host.baseAddress else { return }
        let d = base + index * 32
        d.storeBytes(of: source.deviceAddress.value.littleEndian, toByteOffset: 0, as: UInt64.self)
        d.storeBytes(of: destination.deviceAddress.value.littleEndian, toByteOffset: 8, as: UInt64.self)
        d.storeBytes(of: UInt32(length ?? source.host.count).littleEndian, toByteOffset: 0x10, as: UInt32.self)
        d.storeBytes(of: UInt32(1).littleEndian, toByteOffset: 0x14, as: UInt32.self)
        d.storeBytes(of: UInt32(0), toByteOffset: 0x18, as: UInt32.self)
        let bar = BARIndex(clamping: 0)
        client.barWrite(bar, offset: 0x10, width: .dword, value: ring.deviceAddress.value & 0xffff_ffff)
        client.barWrite(bar, offset: 0x14, width: .dword, value: ring.deviceAddress.value >> 32)
        client.barWrite(bar, offset: 0x18, width: .dword, value: 8)
        client.barWrite(bar, offset: 0x04, width: .dword, value: 0b101)
        client.barWrite(bar, offset: 0x20, width: .dword, value: UInt64(index + 1))
    }

    /// The descriptor's status word (bit 0 done, bit 1 error).
    func status(index: Int = 0) -> UInt32 {
        ring.host.loadUnaligned(fromByteOffset: index * 32 + 0x18, as: UInt32.self).littleEndian
    }

    var copied: Bool { Array(destination.host) == Array(source.host) }
}

/// The DMA engine PF (00:03.0) of the default host, served; the client connected.
func dmaEngineClient() throws -> (VirtualHost, VFIOUserTestClient) {
    let host = try VirtualHost(profile: try HostProfile.named("default"))
    let bdf = try #require(BDF("00:03.0"))
    host.bringUp(leavingUnbound: [bdf])
    let function = try #require(host.bus.function(at: bdf))
    let client = VFIOUserTestClient(endpoint: VFIOUserEndpoint(function: function, bus: host.bus), clock: host.bus.services.clock)
    client.connect()
    client.configWrite(4, width: .word, value: 0x0006)
    return (host, client)
}

@Suite("vfio-user endpoint: MSI through eventfds")
struct VFIOUserMSITests {
    private let trigger = VFIOUser.IRQSetFlags.dataEventFD | VFIOUser.IRQSetFlags.actionTrigger

    private func setMSI(_ client: VFIOUserTestClient, start: UInt32 = 0, count: UInt32, fds: [Int32], flags: UInt32? = nil)
        -> Bool
    {
        let payload = le(UInt32(20)) + le(flags ?? trigger) + le(VFIOUser.IRQ.msi) + le(start) + le(count)
        return !isErrorReply(client.call(.deviceSetIRQs, payload, fds: fds))
    }

    @Test("IRQ info reports the MSI vectors the capability offers: 1 for the DMA engine PF, 0 for NVMe")
    func info() throws {
        let (_, engine) = try dmaEngineClient()
        #expect(engine.irqCount(VFIOUser.IRQ.msi) == 1)
        let reply = try #require(
            engine.call(.deviceGetIRQInfo, le(UInt32(16)) + le(UInt32(0)) + le(VFIOUser.IRQ.msi) + le(UInt32(0))))
        #expect(reply.payload[4] == UInt8(VFIOUser.IRQInfoFlags.eventfd | VFIOUser.IRQInfoFlags.noResize))
        let host = try VirtualHost(profile: try HostProfile.named("default"))
        let bdf = try #require(BDF("00:1e.0"))
        let nvme = try #require(host.bus.function(at: bdf))
        let client = VFIOUserTestClient(endpoint: VFIOUserEndpoint(function: nvme, bus: host.bus), clock: host.bus.services.clock)
        client.connect()
        #expect(client.irqCount(VFIOUser.IRQ.msi) == 0)
    }

    @Test("MSI enabled in config space (MSI-X off): the engine's completion interrupt reaches the MSI eventfd")
    func deliveredOnMSIEventFD() throws {
        let (_, client) = try dmaEngineClient()
        let msiFD = dbvu_eventfd_create()
        defer { close(msiFD) }
        #expect(setMSI(client, count: 1, fds: [msiFD]))
        #expect(client.endpoint.hasMSIEventFD(vector: 0))
        client.configWrite(0x52, width: .word, value: 0x0001)
        let copy = try DMAEngineCopy(client)
        copy.run()
        #expect(copy.copied && copy.status() == 1)
        #expect(dbvu_eventfd_drain(msiFD) == 1, "the completion arrived on the MSI eventfd")
        #expect(dbvu_eventfd_drain(client.vectorFDs[0]) == 0, "and not on MSI-X vector 0")
        // The client switches to MSI-X: the next completion takes the MSI-X eventfd.
        client.configWrite(0x52, width: .word, value: 0x0000)
        client.configWrite(0x72, width: .word, value: 0x8000)
        copy.run(index: 1)
        #expect(dbvu_eventfd_drain(msiFD) == 0)
        #expect(dbvu_eventfd_drain(client.vectorFDs[0]) == 1)
    }

    @Test("MSI with no eventfd loses the interrupt and counts it; SET_IRQS deassigns, triggers and refuses bad sets")
    func setIRQsForMSI() throws {
        let (_, client) = try dmaEngineClient()
        let fd = dbvu_eventfd_create()
        defer { close(fd) }
        #expect(!setMSI(client, count: 2, fds: [fd, fd]), "only one MSI vector")
        #expect(!setMSI(client, count: 1, fds: [], flags: VFIOUser.IRQSetFlags.dataNone | VFIOUser.IRQSetFlags.actionMask))
        #expect(setMSI(client, count: 1, fds: [fd]))
        #expect(setMSI(client, count: 1, fds: [], flags: VFIOUser.IRQSetFlags.dataNone | VFIOUser.IRQSetFlags.actionTrigger))
        #expect(dbvu_eventfd_drain(fd) == 1, "a client-triggered MSI")
        #expect(setMSI(client, count: 0, fds: [], flags: VFIOUser.IRQSetFlags.dataNone | VFIOUser.IRQSetFlags.actionTrigger))
        #expect(!client.endpoint.hasMSIEventFD(vector: 0), "disabled")
        client.configWrite(0x52, width: .word, value: 0x0001)
        let lost = client.endpoint.statistics.interruptsWithoutEventFD
        try DMAEngineCopy(client).run()
        #expect(client.endpoint.statistics.interruptsWithoutEventFD == lost + 1)
    }
}
