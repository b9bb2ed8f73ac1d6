import Drivers
import Host
import Network
import PCIe
import Testing
import VFIOUser

/// The network reference drivers through a vfio-user session, with the bench's own PF driver
/// answering the VF's mailbox, as the host side does for an instance's VF.
@Suite("vfio-user endpoint: network drivers on the far side of the socket")
struct VFIOUserNetworkDriverTests {
    private func client(_ slot: String) throws -> (VirtualHost, VFIOUserTestClient) {
        let host = try VirtualHost(profile: try HostProfile.named("default"))
        let bdf = try #require(BDF(slot))
        host.bringUp(leavingUnbound: [bdf])
        let function = try #require(host.bus.function(at: bdf))
        let client = VFIOUserTestClient(
            endpoint: VFIOUserEndpoint(function: function, bus: host.bus), clock: host.bus.services.clock, ramSize: 32 << 20)
        client.connect()
        return (host, client)
    }

    @Test("ixgbevf on VF 0 resets through the mailbox, gets the MAC the PF assigned and sends a frame out of the port")
    func virtualFunction() throws {
        let (host, client) = try client("00:15.0")
        let pf = try #require(BDF("00:05.0"))
        #expect(host.nics.first?.vfs.contains { $0.bdf == client.bdf } == false, "the bench left VF 0 to the client")
        let driver = try IxgbeVFDriver(access: client)
        try driver.start()
        #expect(driver.macAddress == VirtualHost.vfAddress(pf: pf, index: 0))
        let port = try #require(host.networkPorts.first)
        let pool = try #require(driver.pool)
        var frame = Array(NetworkPort.peerAddress(pf).octets) + Array(try #require(driver.macAddress).octets) + [0x88, 0xb5]
        frame += (0..<46).map { UInt8($0) }
        var buffers: [PacketBuffer] = []
        for _ in 0..<4 {
            var b = try #require(pool.allocate())
            b.length = frame.count
            b.bytes.copyBytes(from: frame)
            buffers.append(b)
        }
        let peerBefore = port.peer.framesReceived
        let queued = buffers.withUnsafeBufferPointer { driver.transmitBatch(queue: 0, $0) }
        #expect(queued == 4)
        #expect(port.peer.framesReceived == peerBefore + 4, "the frames left the port and reached the peer")
        var batch = [PacketBuffer](
            repeating: PacketBuffer(index: 0, poolID: 0, deviceAddress: 0, hostAddress: 0, length: 0), count: 16)
        let echoes = batch.withUnsafeMutableBufferPointer { driver.receiveBatch(queue: 0, into: $0) }
        #expect(echoes == 4, "the peer's echoes came back into client RAM")
        #expect(Array(batch[0].bytes[12...]) == Array(frame[12...]))
    }

    @Test("ena starts through the admin queue over the socket and reports the profile's MAC")
    func ena() throws {
        let (_, client) = try client("00:06.0")
        let driver = try ENADriver(access: client, configuration: .init(queuePairs: 1, ringSize: 64))
        try driver.start()
        #expect(driver.macAddress == MACAddress("06:1d:0f:ec:20:06"))
        #expect(client.endpoint.statistics.errorReplies == 0)
    }
}
