import CVFIOUser
import Foundation
import Host
import PCIe
import Testing
import VFIOUser

/// Guest memory the client cannot share: windows mapped without a descriptor, reached with
/// `DMA_READ` and `DMA_WRITE` requests to the client, through the real server loop and socket.
@Suite("vfio-user server: DMA to windows without a descriptor")
struct VFIOUserRemoteDMATests {
    private struct Rig {
        let host: VirtualHost
        let server: VFIOUserServer
        let socket: VFIOUserServer.Socket
        let directory: String
    }

    /// The DMA engine PF served on a fresh socket.
    private func rig(timeoutMilliseconds: Int32 = 2000) throws -> Rig {
        let host = try VirtualHost(profile: try HostProfile.named("default"))
        let bdf = try #require(BDF("00:03.0"))
        host.bringUp(leavingUnbound: [bdf])
        let directory = NSTemporaryDirectory() + "vfio-user-dma-\(getpid())-\(UInt32.random(in: 0...UInt32.max))"
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        let server = VFIOUserServer(bus: host.bus, messageTimeoutMilliseconds: timeoutMilliseconds)
        let socket = try server.serve(try #require(host.bus.function(at: bdf)), at: directory + "/engine.sock")
        return Rig(host: host, server: server, socket: socket, directory: directory)
    }

    private func client(_ rig: Rig, eventfd: Int32) -> PrivateMemoryClient {
        let c = PrivateMemoryClient(path: rig.socket.path)
        for _ in 0..<5 { rig.server.pollOnce(timeoutMilliseconds: 2) }
        c.connect(rig.server, eventfds: [eventfd])
        return c
    }

    /// One 256-byte copy, ring at RAM+0, source at +0x1000, destination at +0x2000: the
    /// doorbell is a posted write, as QEMU sends it. Returns the descriptor's status word.
    @discardableResult
    private func copy(_ c: PrivateMemoryClient, _ rig: Rig, rounds: Int = 50) -> UInt32 {
        for i in 0..<256 {
            c.ram.storeBytes(of: UInt8(truncatingIfNeeded: i &* 7 &+ 1), toByteOffset: 0x1000 + i, as: UInt8.self)
        }
        let d = c.ram
        d.storeBytes(of: (c.ramBase + 0x1000).littleEndian, toByteOffset: 0, as: UInt64.self)
        d.storeBytes(of: (c.ramBase + 0x2000).littleEndian, toByteOffset: 8, as: UInt64.self)
        d.storeBytes(of: UInt32(256).littleEndian, toByteOffset: 0x10, as: UInt32.self)
        d.storeBytes(of: UInt32(1).littleEndian, toByteOffset: 0x14, as: UInt32.self)
        d.storeBytes(of: UInt32(0), toByteOffset: 0x18, as: UInt32.self)
        for (offset, value) in [(0x10, c.ramBase & 0xffff_ffff), (0x14, c.ramBase >> 32), (0x18, 8), (0x04, 0b101)] {
            c.writeRegion(0, offset: UInt64(offset), le(UInt32(value)), server: rig.server)
        }
        c.writeRegion(0, offset: 0x20, le(UInt32(1)), server: rig.server, posted: true)
        for _ in 0..<rounds {
            rig.server.pollOnce(timeoutMilliseconds: 5)
            if c.ram.load(fromByteOffset: 0x18, as: UInt32.self) != 0 { break }
        }
        return c.ram.load(fromByteOffset: 0x18, as: UInt32.self).littleEndian
    }

    /// Runs `body` with a fresh rig and one connected client signalling `fd`, and tears them
    /// down after.
    private func withClient(
        _ body: (_ rig: Rig, _ c: PrivateMemoryClient, _ fd: Int32) throws -> Void
    ) throws {
        let rig = try rig()
        defer { try? FileManager.default.removeItem(atPath: rig.directory) }
        let fd = dbvu_eventfd_create()
        defer { close(fd) }
        let c = client(rig, eventfd: fd)
        defer { c.shutDown() }
        try body(rig, c, fd)
    }

    private func copied(_ c: PrivateMemoryClient) -> Bool {
        (0..<256).allSatisfy {
            c.ram.load(fromByteOffset: 0x2000 + $0, as: UInt8.self) == c.ram.load(fromByteOffset: 0x1000 + $0, as: UInt8.self)
        }
    }

    @Test("a copy in private memory: descriptor and data travel as DMA_READ and DMA_WRITE, the interrupt after the data")
    func copyThroughRequests() throws {
        try withClient { rig, c, fd in
            #expect(rig.socket.endpoint.dmaWindows.map(\.reachable) == [true])
            c.interruptFD = fd
            #expect(copy(c, rig) == 1, "descriptor done, no error")
            #expect(copied(c))
            #expect(dbvu_eventfd_drain(fd) == 1)
            #expect(!c.interruptOvertookData, "every DMA_WRITE arrived before the eventfd fired")
            #expect(c.served.contains(VFIOUser.Command.dmaRead.rawValue) && c.served.contains(VFIOUser.Command.dmaWrite.rawValue))
            #expect(rig.socket.endpoint.statistics.remoteDMARequests == UInt64(c.served.count))
            #expect(rig.socket.lastEnd == nil, "the session goes on")
        }
    }

    @Test("a request the client sends while the server awaits a DMA reply is queued and answered after the doorbell")
    func interleavedRequestIsQueued() throws {
        try withClient { rig, c, fd in
            c.behaviour = .interleave
            #expect(copy(c, rig) == 1)
            #expect(copied(c))
            var answer: VFIOUserIncomingMessage?
            for _ in 0..<50 where answer == nil {
                rig.server.pollOnce(timeoutMilliseconds: 5)
                answer = c.takeReply(id: 0x7777)
            }
            let reply = try #require(answer)
            #expect(reply.header.flags == VFIOUser.Flags.reply)
            #expect(reply.payload.suffix(4) == [0x34, 0x12, 0x01, 0xdb], "config dword 0 of the DMA engine")
            #expect(rig.socket.lastEnd == nil)
        }
    }

    @Test("a client that refuses a DMA (EFAULT) faults the access, not the server; the session goes on")
    func refusedDMAFaults() throws {
        try withClient { rig, c, fd in
            c.behaviour = .refuse
            let faults = rig.host.bus.services.faults.total
            #expect(copy(c, rig) == 0)
            #expect(rig.host.bus.services.faults.total > faults, "the refused read is a recorded DMA fault")
            let config = try #require(c.call(.regionRead, le(UInt64(0)) + le(UInt32(7)) + le(UInt32(4)), server: rig.server))
            #expect(config.payload.suffix(4) == [0x34, 0x12, 0x01, 0xdb])
            #expect(rig.socket.lastEnd == nil)
        }
    }

    @Test("without a peer (no socket to ask) a window without a descriptor is unreachable: the access is a recorded fault")
    func noPeerFaults() throws {
        let (host, client) = try dmaEngineClient()
        let address: UInt64 = 0x9000_0000
        let map = le(UInt32(32)) + le(UInt32(3)) + le(UInt64(0)) + le(address) + le(UInt64(1 << 20))
        #expect(!isErrorReply(client.call(.dmaMap, map)))
        #expect(client.endpoint.dmaWindows.contains { $0.address == address && !$0.reachable })
        let port = client.endpoint.function.dma
        do {
            _ = try port.load(UInt32.self, from: IOVA(address + 64))
            Issue.record("the load did not fault")
        } catch {
            if case .remoteUnavailable = error {} else { Issue.record("fault \(error)") }
        }
        let fault = try #require(host.bus.services.faults.faults.last)
        #expect(fault.address == IOVA(address + 64))
        if case .remoteUnavailable = fault.reason {} else { Issue.record("fault reason \(fault.reason)") }
    }

    @Test(
        "a wrong reply id, a short DMA_READ reply, silence past the timeout or a hang-up end that session only",
        arguments: [PrivateMemoryClient.Behaviour.wrongID, .shortReply, .silent, .hangUp])
    func brokenClientsEndTheSession(_ behaviour: PrivateMemoryClient.Behaviour) throws {
        let rig = try rig(timeoutMilliseconds: 1000)
        defer { try? FileManager.default.removeItem(atPath: rig.directory) }
        let fd = dbvu_eventfd_create()
        defer { close(fd) }
        let bad = client(rig, eventfd: fd)
        bad.behaviour = behaviour
        copy(bad, rig, rounds: 80)
        bad.shutDown()
        let end = try #require(rig.socket.lastEnd)
        switch behaviour {
        case .wrongID, .shortReply:
            #expect(end.description.hasPrefix("framing error"), "\(end)")
        case .silent:
            #expect(end == .transport(ETIMEDOUT))
        default:
            #expect(end == .closed || end.description.hasPrefix("socket error"), "\(end)")
        }
        #expect(rig.socket.endpoint.dmaWindows.isEmpty && rig.socket.endpoint.failure == nil)
        // The socket serves the next client, whose copy works once it reset the engine (a
        // failed ring read halts it until reset).
        let good = client(rig, eventfd: fd)
        defer { good.shutDown() }
        good.call(.deviceReset, [], server: rig.server)
        good.writeRegion(7, offset: 4, le(UInt16(0x0006)), server: rig.server)
        #expect(copy(good, rig) == 1)
        #expect(copied(good))
        #expect(rig.socket.sessions == 2)
    }
}
