import CVFIOUser
import Foundation
import Host
import PCIe
import Testing
import VFIOUser

/// The server loop over real listening sockets: sessions come and go, a broken client ends only
/// its own session, and the other sockets keep being served.
@Suite("vfio-user server: sockets and sessions")
struct VFIOUserServerTests {
    private func send(_ fd: Int32, _ command: UInt16, _ payload: [UInt8], id: UInt16 = 1, size: UInt32? = nil) {
        var bytes: [UInt8] = []
        VFIOUserHeader(id: id, command: command, size: size ?? UInt32(16 + payload.count), flags: 0).encode(into: &bytes)
        bytes += payload
        _ = bytes.withUnsafeBytes { dbvu_send(fd, $0.baseAddress, $0.count, nil, 0) }
    }

    /// Polls until `fd` has a whole reply (or gives up); returns it.
    private func reply(_ server: VFIOUserServer, _ fd: Int32) -> VFIOUserIncomingMessage? {
        for _ in 0..<200 {
            server.pollOnce(timeoutMilliseconds: 5)
            var p = pollfd(fd: fd, events: Int16(POLLIN), revents: 0)
            if poll(&p, 1, 0) > 0, case .success(let m) = VFIOUserConnection(socket: fd).receive() { return m }
        }
        return nil
    }

    private func pump(_ server: VFIOUserServer, _ rounds: Int = 20) {
        for _ in 0..<rounds { server.pollOnce(timeoutMilliseconds: 2) }
    }

    @Test("two sockets: a client with a lying header loses only its session; the other is served and can reconnect")
    func isolation() throws {
        let host = try VirtualHost(profile: try HostProfile.named("default"))
        let ebs = try #require(BDF("00:1e.0"))
        let store = try #require(BDF("00:1f.0"))
        host.bringUp(leavingUnbound: [ebs, store])
        let directory = NSTemporaryDirectory() + "vfio-user-\(getpid())-\(UInt32.random(in: 0...UInt32.max))"
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let server = VFIOUserServer(bus: host.bus, messageTimeoutMilliseconds: 200)
        let a = try server.serve(try #require(host.bus.function(at: ebs)), at: directory + "/a.sock")
        let b = try server.serve(try #require(host.bus.function(at: store)), at: directory + "/b.sock")

        let good = dbvu_connect_unix(a.path)
        let bad = dbvu_connect_unix(b.path)
        #expect(good >= 0 && bad >= 0)
        // `good` is closed halfway through; closing its number again at the end would close
        // whatever the process (another test running in parallel) has opened under it since.
        var goodIsOpen = true
        defer {
            if goodIsOpen { close(good) }
            close(bad)
        }
        pump(server)
        send(good, 1, [0, 0, 0, 0] + Array("{}".utf8) + [0])
        let version = try #require(reply(server, good))
        #expect(version.header.flags == VFIOUser.Flags.reply)
        // A header claiming 3 GiB: the stream cannot be trusted, the session ends.
        send(bad, 9, [], size: 3 << 30)
        pump(server)
        #expect(b.lastEnd.map { if case .framing = $0 { true } else { false } } == true)
        // A header promising more bytes than ever arrive: the message timeout ends that session.
        let slow = dbvu_connect_unix(b.path)
        defer { close(slow) }
        pump(server)
        send(slow, 9, [], size: 64)
        for _ in 0..<30 { server.pollOnce(timeoutMilliseconds: 20) }
        #expect(b.sessions == 2)
        #expect(b.lastEnd.map { if case .transport = $0 { true } else { false } } == true, "timed out mid-message")
        // The good client is still served.
        send(good, 9, Array(repeating: 0, count: 8) + [7, 0, 0, 0, 4, 0, 0, 0], id: 2)
        let config = try #require(reply(server, good))
        #expect(config.header.id == 2)
        #expect(config.payload.suffix(4) == [0x0f, 0x1d, 0x61, 0x80])
        // It disconnects, and reconnects to a fresh session that must negotiate again.
        close(good)
        goodIsOpen = false
        pump(server)
        #expect(a.lastEnd == .closed)
        #expect(!a.endpoint.negotiated)
        let again = dbvu_connect_unix(a.path)
        defer { close(again) }
        pump(server)
        send(again, 4, [16, 0, 0, 0] + Array(repeating: 0, count: 12))
        let refused = try #require(reply(server, again))
        #expect(refused.header.flags & VFIOUser.Flags.error != 0)
        #expect(a.sessions == 2)
    }

    @Test("the server moves the bench's virtual clock along with wall time")
    func clockFollowsWallTime() throws {
        let host = try VirtualHost(profile: try HostProfile.named("default"))
        let server = VFIOUserServer(bus: host.bus)
        let start = host.bus.services.clock.now
        for _ in 0..<5 { server.pollOnce(timeoutMilliseconds: 10) }
        let moved = host.bus.services.clock.now.nanoseconds - start.nanoseconds
        #expect(moved >= 40_000_000, "at least the 50 ms polled, less scheduling slack")
    }
}
