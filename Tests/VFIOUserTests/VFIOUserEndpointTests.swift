import CVFIOUser
import Drivers
import Foundation
import Host
import PCIe
import Testing
import VFIOUser

/// The default profile with `served` left to a vfio-user client.
private func servedHost(_ served: [String]) throws -> VirtualHost {
    let host = try VirtualHost(profile: try HostProfile.named("default"))
    host.bringUp(leavingUnbound: Set(served.compactMap { BDF($0) }))
    return host
}

private func servedFunction(_ host: VirtualHost, _ bdf: String) throws -> PCIFunction {
    let address = try #require(BDF(bdf))
    return try #require(host.bus.function(at: address))
}

private func endpoint(_ host: VirtualHost, _ bdf: String) throws -> VFIOUserEndpoint {
    VFIOUserEndpoint(function: try servedFunction(host, bdf), bus: host.bus)
}

private func isError(_ reply: (header: VFIOUserHeader, payload: [UInt8])?, _ errno: VFIOUserErrno) -> Bool {
    guard let reply else { return false }
    return reply.header.flags & VFIOUser.Flags.error != 0 && reply.header.error == errno.rawValue && reply.payload.isEmpty
}

@Suite("vfio-user endpoint: negotiation and device info")
struct VFIOUserNegotiationTests {
    @Test("VERSION is answered with 0.0 and a NUL-terminated JSON object; nothing works before it")
    func version() throws {
        let host = try servedHost(["00:1e.0"])
        let client = VFIOUserTestClient(endpoint: try endpoint(host, "00:1e.0"), clock: host.bus.services.clock)
        #expect(isError(client.call(.deviceGetInfo, le(UInt32(16)) + [UInt8](repeating: 0, count: 12)), .einval))
        let caps = Array("{\"capabilities\":{\"max_msg_fds\":8,\"pgsizes\":4096}}".utf8) + [0]
        let reply = try #require(client.call(.version, le(UInt16(0)) + le(UInt16(3)) + caps))
        #expect(reply.header.flags == VFIOUser.Flags.reply)
        #expect(reply.header.size == UInt32(16 + reply.payload.count))
        #expect(reply.payload[0...3] == [0, 0, 0, 0])
        #expect(reply.payload.last == 0)
        let json = try #require(String(validating: reply.payload[4..<(reply.payload.count - 1)], as: UTF8.self))
        let object = try #require(try JSONSerialization.jsonObject(with: Data(json.utf8)) as? [String: Any])
        let capabilities = try #require(object["capabilities"] as? [String: Any])
        #expect((capabilities["max_data_xfer_size"] as? Int) == VFIOUser.maxDataTransfer)
        #expect(client.endpoint.clientMaxFileDescriptors == 8)
    }

    @Test("a wrong major version, broken JSON or a truncated VERSION get an error reply")
    func badVersions() throws {
        let host = try servedHost(["00:1e.0"])
        let client = VFIOUserTestClient(endpoint: try endpoint(host, "00:1e.0"), clock: host.bus.services.clock)
        #expect(isError(client.call(.version, le(UInt16(1)) + le(UInt16(0))), .enotsup))
        #expect(isError(client.call(.version, le(UInt16(0)) + le(UInt16(0)) + Array("{\"capabilities\":".utf8) + [0]), .einval))
        #expect(isError(client.call(.version, le(UInt16(0)) + le(UInt16(0)) + Array("{}".utf8)), .einval), "not NUL-terminated")
        #expect(isError(client.call(.version, [0, 0]), .einval))
        #expect(isError(client.call(.version, le(UInt16(0)) + le(UInt16(0)) + Array("[1]".utf8) + [0]), .einval))
        #expect(!client.endpoint.negotiated)
    }

    @Test("device, region and IRQ info describe the function: BAR sizes, 4 KiB config space, MSI-X vectors only")
    func info() throws {
        let host = try servedHost(["00:1e.0"])
        let function = try servedFunction(host, "00:1e.0")
        let client = VFIOUserTestClient(
            endpoint: VFIOUserEndpoint(function: function, bus: host.bus), clock: host.bus.services.clock)
        client.connect()
        let info = try #require(client.call(.deviceGetInfo, le(UInt32(16)) + [UInt8](repeating: 0, count: 12)))
        #expect(info.payload == le(UInt32(16)) + le(UInt32(3)) + le(UInt32(9)) + le(UInt32(5)))
        for index in UInt32(0)..<9 {
            let r = try #require(
                client.call(.deviceGetRegionInfo, le(UInt32(32)) + le(UInt32(0)) + le(index) + [UInt8](repeating: 0, count: 20)))
            let size = r.payload[16..<24].enumerated().reduce(UInt64(0)) { $0 | UInt64($1.element) << UInt64(8 * $1.offset) }
            let expected: UInt64 =
                index == 7
                ? 4096
                : index < 6
                    ? (function.barDefinitions.indices.contains(Int(index)) ? function.barDefinitions[Int(index)]?.size ?? 0 : 0)
                    : 0
            #expect(size == expected, "region \(index)")
        }
        #expect(
            isError(
                client.call(
                    .deviceGetRegionInfo, le(UInt32(32)) + le(UInt32(0)) + le(UInt32(9)) + [UInt8](repeating: 0, count: 20)),
                .einval))
        #expect(client.irqCount(VFIOUser.IRQ.msix) == function.msix?.vectorCount)
        #expect(client.irqCount(VFIOUser.IRQ.intx) == 0)
        #expect(client.irqCount(VFIOUser.IRQ.msi) == 0)
        #expect(client.endpoint.dmaWindows.count == 1)
        #expect(client.endpoint.hasEventFD(vector: 0))
    }
}

@Suite("vfio-user endpoint: config space as an assigned function shows it")
struct VFIOUserConfigTests {
    @Test("a VF shows its vendor and device ID and its BARs as ordinary 64-bit BARs")
    func virtualFunctionIdentity() throws {
        let host = try servedHost(["00:15.0"])
        let vf = try servedFunction(host, "00:15.0")
        #expect(vf.isVirtualFunction)
        let client = VFIOUserTestClient(endpoint: VFIOUserEndpoint(function: vf, bus: host.bus), clock: host.bus.services.clock)
        client.connect()
        #expect(client.configRead(0, width: .word) == 0x8086)
        #expect(client.configRead(2, width: .word) == 0x10ed)
        let bar0 = client.configRead(0x10, width: .dword)
        #expect(bar0 & 0x7 == 0x4, "64-bit memory BAR")
        let address = UInt64(bar0 & ~0xf) | UInt64(client.configRead(0x14, width: .dword)) << 32
        #expect(address == vf.barAddress(0))
        #expect(host.bus.configRead(vf.bdf, 0, width: .word) == 0xffff, "the bench's own view is unchanged")
    }

    @Test("BAR and ROM writes are the client's and never move the bench's BARs; Interrupt Pin reads 0")
    func clientOwnedRegisters() throws {
        let host = try servedHost(["00:1e.0"])
        let f = try servedFunction(host, "00:1e.0")
        let client = VFIOUserTestClient(endpoint: VFIOUserEndpoint(function: f, bus: host.bus), clock: host.bus.services.clock)
        client.connect()
        let before = f.barAddress(0)
        client.configWrite(0x10, width: .dword, value: 0xffff_ffff)
        client.configWrite(0x30, width: .dword, value: 0xffff_f800)
        #expect(f.barAddress(0) == before)
        #expect(client.configRead(0x3d, width: .byte) == 0)
        // An ordinary register still goes through: Command's Bus Master Enable.
        client.configWrite(4, width: .word, value: 0x0006)
        #expect(f.busMasterEnabled)
    }

    @Test("region accesses out of range or to absent regions get ERANGE or EINVAL, and the device keeps answering")
    func outOfRange() throws {
        let host = try servedHost(["00:1e.0"])
        let f = try servedFunction(host, "00:1e.0")
        let client = VFIOUserTestClient(endpoint: VFIOUserEndpoint(function: f, bus: host.bus), clock: host.bus.services.clock)
        client.connect()
        let size = try #require(f.barDefinitions[0]).size
        #expect(isError(client.call(.regionRead, le(size - 2) + le(UInt32(0)) + le(UInt32(4))), .erange))
        #expect(isError(client.call(.regionRead, le(UInt64.max) + le(UInt32(0)) + le(UInt32(4))), .erange))
        #expect(isError(client.call(.regionRead, le(UInt64(0)) + le(UInt32(6)) + le(UInt32(4))), .einval))
        #expect(isError(client.call(.regionRead, le(UInt64(0)) + le(UInt32(77)) + le(UInt32(4))), .einval))
        #expect(isError(client.call(.regionRead, le(UInt64(0)) + le(UInt32(7)) + le(UInt32(0))), .erange))
        #expect(
            isError(
                client.call(.regionWrite, le(UInt64(4090)) + le(UInt32(7)) + le(UInt32(8)) + [UInt8](repeating: 0, count: 8)),
                .erange))
        #expect(isError(client.call(.regionWrite, le(UInt64(0)) + le(UInt32(7)) + le(UInt32(9)) + [1, 2]), .einval))
        #expect(isError(client.callRaw(14, []), .enosys))
        #expect(isError(client.callRaw(0xffff, [1, 2, 3]), .enosys))
        #expect(client.configRead(0, width: .dword) == 0x8061_1d0f)
        #expect(client.endpoint.statistics.errorReplies >= 9)
    }
}

@Suite("vfio-user endpoint: regressions found by the real Linux drivers")
struct VFIOUserRealDriverRegressionTests {
    @Test("a VF keeps the Memory Space Enable its client wrote (Linux reads Command back and rewrites it)")
    func virtualFunctionMemoryEnable() throws {
        let host = try VirtualHost(profile: try HostProfile.named("default"))
        let bdf = try #require(BDF("00:15.0"))
        host.bringUp(leavingUnbound: [bdf])
        let vf = try #require(host.bus.function(at: bdf))
        let client = VFIOUserTestClient(endpoint: VFIOUserEndpoint(function: vf, bus: host.bus), clock: host.bus.services.clock)
        client.connect()
        #expect(client.configRead(4, width: .word) & 0x2 == 0)
        client.configWrite(4, width: .word, value: 0x0102)
        #expect(client.configRead(4, width: .word) & 0x2 != 0, "MSE reads back as written")
        #expect(host.bus.configRead(bdf, 4, width: .word) & 0x2 == 0, "the VF's own register stays hardwired")
        client.configWrite(4, width: .dword, value: 0x0000_0004)
        #expect(client.configRead(4, width: .word) == 0x0004 | (host.bus.configRead(bdf, 4, width: .word) & ~0x2))
        #expect(vf.busMasterEnabled)
    }
}
