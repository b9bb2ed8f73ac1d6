import ENA
import Network
import PCIe
import Testing

@testable import Drivers

/// A hostile device: completions rewritten in guest memory after the device wrote them and
/// before the driver reads them. The driver counts and ignores what it cannot trust.
@Suite("ENA driver against bad completions")
struct ENADriverRobustnessTests {
    /// Rewrites Tx completion `slot` of pair 0 with `change` applied to its 64-bit word.
    func rewriteTxCompletion(_ b: ENADriverBench, slot: Int, _ change: (UInt64) -> UInt64) throws {
        let ring = try #require(b.driver.txRings.first?.completions.host.baseAddress)
        let at = ring + slot * ENATxCompletion.size
        at.storeBytes(of: change(at.load(as: UInt64.self)), as: UInt64.self)
    }

    @Test("a Tx completion with a request id beyond the ring, or of a packet not in flight, is counted and ignored")
    func badTxRequestID() throws {
        let b = try ENADriverBench(loop: false)
        #expect(b.send((0..<4).map { b.frame($0) }) == 4)
        try rewriteTxCompletion(b, slot: 0) { $0 & ~0xFFFF | 999 }
        try rewriteTxCompletion(b, slot: 1) { $0 & ~0xFFFF | 3 }
        // Slot 1 frees packet 3 early, so the device's real completion for packet 3 is a duplicate.
        #expect(b.driver.reclaimTransmitted(queue: 0) == 2)
        #expect(b.driver.counters.invalidTxRequestIDs == 2)
        #expect(b.driver.transmitInFlight(queue: 0) == 2, "packets 0 and 1 never completed")
        #expect(b.send((0..<4).map { b.frame($0) }) == 4)
        #expect(b.driver.reclaimTransmitted(queue: 0) == 4)
        #expect(b.driver.transmitInFlight(queue: 0) == 2)
    }

    @Test("Tx completions whose phase bit was flipped are never consumed; the missing-completion watchdog resets")
    func flippedTxPhase() throws {
        let b = try ENADriverBench(loop: false)
        #expect(b.send((0..<3).map { b.frame($0) }) == 3)
        for slot in 0..<3 { try rewriteTxCompletion(b, slot: slot) { $0 ^ 1 << 24 } }
        #expect(b.driver.reclaimTransmitted(queue: 0) == 0)
        #expect(b.driver.transmitInFlight(queue: 0) == 3)
        let resets = try b.runTimer(seconds: 7)
        #expect(resets == [.missingTxCompletion])
        #expect(b.driver.counters.missingTxCompletions == 1)
        #expect(b.device.lastResetReason == ENAResetReason.missingTxCompletion.rawValue)
        #expect(b.driver.transmitInFlight(queue: 0) == 0)
        #expect(b.send((0..<4).map { b.frame($0) }) == 4)
        #expect(b.driver.reclaimTransmitted(queue: 0) == 4)
    }

    @Test("an Rx completion naming a request id with no buffer, or a length beyond the buffer, is counted and skipped")
    func badRxCompletions() throws {
        let b = try ENADriverBench(loop: false)
        let peer = PeerHost(address: MACAddress(0x0200_0000_0001))
        peer.attach(to: b.wire)
        for n in 0..<3 { peer.send(b.frame(n, to: b.device.configuration.macAddress)) }
        let ring = try #require(b.driver.rxRings.first?.completions.host.baseAddress)
        ring.storeBytes(of: UInt16(5000), toByteOffset: 6, as: UInt16.self)
        ring.storeBytes(of: UInt16(60_000), toByteOffset: ENARxCompletion.size + 4, as: UInt16.self)
        let frames = b.receive(3)
        #expect(frames.count == 1)
        #expect(b.driver.counters.invalidRxRequestIDs == 1)
        #expect(b.driver.counters.oversizeRxCompletions == 1)
        for n in 0..<300 { peer.send(b.frame(n, to: b.device.configuration.macAddress)) }
        let later = (0..<10).reduce(0) { n, _ in n + b.receive(300).count }
        #expect(later == 255, "one request id stays lost; the ring keeps working with the rest")
    }

    @Test("a device that stops answering readless reads makes the read time out, never return a stale value")
    func readlessSilence() throws {
        let b = try ENADriverBench()
        b.access.write32(ENA.registerBAR, UInt64(ENARegisters.MMIO_RESP_LO.offset), 0)
        b.access.write32(ENA.registerBAR, UInt64(ENARegisters.MMIO_RESP_HI.offset), 0)
        #expect(throws: ENADriverError.registerReadTimeout(offset: ENARegisters.DEV_STS.offset)) {
            try b.driver.deviceStatus()
        }
        try b.driver.start()
        #expect(b.roundTrip(4))
    }
}
