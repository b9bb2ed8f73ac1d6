import Drivers
import ENA
import Network
import PCIe

/// IO queues (`ena_eth_io_defs.h`): frames out and in byte-exact with Tx descriptors in host
/// memory and in the LLQ BAR, and the device's answer to bad descriptors, doorbells and a
/// receive queue without buffers. Needs the rig's wire.
enum ENAIOSuite {
    static let name = ENAConformance.Suite.io.rawValue

    static func run(_ f: ENAFixture) -> [CheckResult] {
        [
            f.check(name, "ena_eth_io host placement: frames out and in byte-exact, every Tx completed") {
                traffic(f, placement: .host, &$0)
            },
            f.check(name, "ena_eth_io LLQ placement: descriptors and inline headers in the LLQ BAR, frames byte-exact") {
                traffic(f, placement: .lowLatency, &$0)
            },
            f.check(name, "ena_eth_io_tx_desc: zero length, req_id >= depth, missing last bit are dropped; the queue goes on") {
                badDescriptors(f, &$0)
            },
            f.check(name, "ena_eth_io: an SQ doorbell beyond the depth is ignored; the next good one is served") {
                badDoorbell(f, &$0)
            },
            f.check(name, "ena_eth_io_rx: frames beyond the posted buffers are dropped and counted as rx_overruns") {
                overruns(f, &$0)
            },
        ]
    }

    private static func traffic(_ f: ENAFixture, placement: ENAConformanceDriver.Placement, _ r: inout CheckRecorder) -> Bool {
        guard f.rig.wire != nil else { return false }
        guard let driver = f.startDriver(&r, placement: placement), let mac = driver.macAddress else { return true }
        if placement == .lowLatency { r.expect(driver.lowLatency != nil, "the device offers no LLQ") }
        let lengths = [60, 64, 128, 200, 1000, 1514]
        let out = (0..<24).map { ENAFixture.frame($0, from: mac, to: MACAddressFor.peer, length: lengths[$0 % lengths.count]) }
        let left = f.tapped { () -> [[UInt8]] in
            _ = f.transmit(out, on: driver)
            return f.recorder.frames
        }
        r.expect(
            left == out, "\(left.count) of \(out.count) frames left the port, \(zip(left, out).filter { $0 != $1 }.count) differ")
        r.expect(driver.transmitInFlight(queue: 0) == 0, "\(driver.transmitInFlight(queue: 0)) Tx packets not completed")
        let incoming = (0..<24).map {
            ENAFixture.frame($0, from: MACAddressFor.peer, to: mac, length: lengths[$0 % lengths.count])
        }
        f.inject(incoming)
        let got = f.receive(on: driver)
        r.expect(
            got == incoming,
            "\(got.count) of \(incoming.count) frames received, \(zip(got, incoming).filter { $0 != $1 }.count) differ")
        return true
    }

    private static func badDescriptors(_ f: ENAFixture, _ r: inout CheckRecorder) -> Bool {
        guard f.rig.wire != nil else { return false }
        guard let driver = f.startDriver(&r), let mac = driver.macAddress else { return true }
        guard spareTransmitQueue(driver) else { return false }
        guard let q = ENARawQueue(f, driver: driver, &r), let payload = f.buffer(2048, &r) else { return true }
        let frame = ENAFixture.frame(1, from: mac, to: MACAddressFor.peer, length: 100)
        payload.host.copyBytes(from: frame)
        let address = payload.deviceAddress.value
        func descriptor(length: Int = 100, id: UInt16, last: Bool = true) -> ENATxDescriptor {
            ENATxDescriptor(length: UInt16(length), address: address, requestID: id, phase: q.phase, first: true, last: last)
        }
        let left = f.tapped { () -> Int in
            q.post(descriptor(length: 0, id: 0))
            q.post(descriptor(id: 100))
            q.post(descriptor(id: 2, last: false))
            q.post(descriptor(id: 3))
            f.write32(q.doorbell, UInt32(q.tail))
            return f.recorder.count
        }
        let completions = q.takeCompletions()
        r.expect(left == 1, "\(left) frames left the port; only the last packet is good")
        r.expect(completions.map(\.requestID) == [0, 100, 2, 3], "completions for req_ids \(completions.map(\.requestID))")
        r.expect(completions.map(\.status) == [1, 1, 1, 0], "completion statuses \(completions.map(\.status))")
        return true
    }

    /// Whether the device offers a Tx queue beyond the driver's one (for raw queues).
    private static func spareTransmitQueue(_ driver: ENAConformanceDriver) -> Bool { (driver.limits?.maxTxQueues ?? 0) >= 2 }

    private static func badDoorbell(_ f: ENAFixture, _ r: inout CheckRecorder) -> Bool {
        guard let driver = f.startDriver(&r), let mac = driver.macAddress else { return true }
        guard spareTransmitQueue(driver) else { return false }
        guard let q = ENARawQueue(f, driver: driver, &r), let payload = f.buffer(128, &r) else { return true }
        let frame = ENAFixture.frame(2, from: mac, to: MACAddressFor.peer)
        payload.host.copyBytes(from: frame)
        q.post(
            ENATxDescriptor(
                length: UInt16(frame.count), address: payload.deviceAddress.value, requestID: 0, phase: q.phase, first: true,
                last: true))
        f.write32(q.doorbell, UInt32(q.depth + 5))
        r.expect(q.takeCompletions().isEmpty, "a doorbell \(q.depth + 5) past the head was served")
        f.write32(q.doorbell, UInt32(q.tail))
        r.expect(q.takeCompletions().count == 1, "the good doorbell after a bad one was not served")
        return true
    }

    private static func overruns(_ f: ENAFixture, _ r: inout CheckRecorder) -> Bool {
        guard f.rig.wire != nil, f.rig.allowances?.isUnlimited != false || (f.rig.allowances?.packetBurst ?? 0) >= 128 else {
            return false
        }
        guard let driver = f.startDriver(&r), let mac = driver.macAddress, let before = try? driver.basicStatistics() else {
            return true
        }
        f.inject((0..<100).map { ENAFixture.frame($0, from: MACAddressFor.peer, to: mac) })
        let after = try? driver.basicStatistics()
        let overruns = (after?.rxOverruns ?? 0) &- before.rxOverruns
        r.expect(overruns == 100 - 64, "\(overruns) rx_overruns for 100 frames into 64 posted buffers")
        r.expect(f.receive(on: driver).count == 64, "the 64 posted buffers did not receive 64 frames")
        return true
    }
}
