import Drivers
import ENA
import Network
import PCIe
import RegisterModel

typealias ER = ENARegisters
typealias ENAConformanceDriver = ENADriver<BusDeviceAccess>

/// The ENA under test as a host sees it: config space and BAR0 through `BusDeviceAccess`, DMA
/// memory in the function's IOMMU domain, the reference driver for normal operation (and as the
/// carrier of raw admin entries), raw IO queues (``ENARawQueue``) for bad descriptors, and a tap
/// on the wire.
final class ENAFixture {
    let bus: PCIBus
    let function: PCIFunction
    let access: BusDeviceAccess
    let rig: ENAConformance.Rig
    let bar = ENA.registerBAR
    /// Frames the port transmitted while ``tapped(_:)`` ran.
    let recorder = FrameRecorder(capacity: 1024)
    private var drivers: [String: ENAConformanceDriver] = [:]

    init(bus: PCIBus, function f: PCIFunction, rig: ENAConformance.Rig) {
        self.bus = bus
        function = f
        access = bus.access(f.bdf)
        self.rig = rig
        access.enableBusMaster()
    }

    /// Reads a 32-bit register directly (not readless).
    func read32(_ offset: Int) -> UInt32 { access.read32(bar, UInt64(offset)) }
    /// Writes a 32-bit register.
    func write32(_ offset: Int, _ value: UInt32) { access.write32(bar, UInt64(offset), value) }
    /// DEV_STS, read directly.
    var status: UInt32 { read32(ER.DEV_STS.offset) }
    /// The virtual clock.
    var clock: VirtualClock { bus.services.clock }

    /// The reset handshake at register level with `reason` (low bits in 31:28, high in 27:24);
    /// false (with a failure) unless DEV_STS shows RESET_IN_PROGRESS and then READY.
    @discardableResult
    func reset(reason: UInt8 = 0, _ r: inout CheckRecorder) -> Bool {
        let control = UInt32(ER.DEV_CTL.devReset.mask) | UInt32(reason & 0xF) << 28 | UInt32(reason >> 4) << 24
        write32(ER.DEV_CTL.offset, control)
        let during = status
        write32(ER.DEV_CTL.offset, 0)
        let after = status
        let ok =
            ER.DEV_STS.resetInProgress.isSet(in: during) && ER.DEV_STS.ready.isSet(in: after)
            && !ER.DEV_STS.resetInProgress.isSet(in: after)
        r.expect(ok, "reset handshake: DEV_STS \(hex(during)) during, \(hex(after)) after")
        return ok
    }

    /// The reference driver, started with `placement` and `pairs` queue pairs (one driver per
    /// configuration, reused); nil (with a failure) if it cannot bind or start.
    func startDriver(
        _ r: inout CheckRecorder, placement: ENAConformanceDriver.Placement = .host, pairs: Int = 1,
        interrupts: Bool = false
    ) -> ENAConformanceDriver? {
        let key = "\(placement)-\(pairs)-\(interrupts)"
        refillAllowances()
        do {
            let driver: ENAConformanceDriver
            if let cached = drivers[key] {
                driver = cached
            } else {
                driver = try ENAConformanceDriver(
                    access: access,
                    configuration: .init(queuePairs: pairs, ringSize: 64, placement: placement, interrupts: interrupts))
                drivers[key] = driver
            }
            try driver.start()
            return driver
        } catch {
            r.expect(false, "reference driver did not start: \(error)")
            return nil
        }
    }

    /// An admin entry with `opcode` and the fields `fill` sets.
    static func command(_ opcode: UInt8, _ fill: (inout ENAAdminEntry) -> Void = { _ in }) -> ENAAdminEntry {
        var e = ENAAdminEntry()
        e.opcode = opcode
        fill(&e)
        return e
    }

    /// Runs `entry` on `driver`'s admin queue; its completion, or nil (with a failure) if none came.
    func complete(_ entry: ENAAdminEntry, on driver: ENAConformanceDriver, _ what: String, _ r: inout CheckRecorder)
        -> ENAAdminEntry?
    {
        do {
            return try driver.submitAdmin(entry)
        } catch {
            r.expect(false, "\(what): no completion (\(error))")
            return nil
        }
    }

    /// Expects `entry` to complete with `status`.
    func expectStatus(
        _ entry: ENAAdminEntry, on driver: ENAConformanceDriver, _ status: ENAAdminStatus, _ what: String,
        _ r: inout CheckRecorder
    ) {
        guard let c = complete(entry, on: driver, what, &r) else { return }
        let name = ENAAdminStatus(rawValue: c.status).map { "\($0)" } ?? "status \(c.status)"
        r.expect(c.status == status.rawValue, "\(what): completed with \(name), expected \(status)")
    }

    /// Zeroed DMA memory of `size` bytes; nil (with a failure) if the IOMMU refuses it.
    func buffer(_ size: Int, _ r: inout CheckRecorder) -> DMABuffer? {
        do {
            return try access.allocateDMA(size)
        } catch {
            r.expect(false, "DMA allocation of \(size) bytes: \(error)")
            return nil
        }
    }

    /// Lets a second of virtual time pass, so the Nitro allowance buckets are full again and frames
    /// an earlier check left waiting in them are gone: every check starts with its full burst.
    func refillAllowances() {
        clock.advance(by: .seconds(1))
    }

    /// An address no IOMMU mapping covers (far above guest memory).
    static let unmappedAddress: UInt64 = 0x7F00_0000_0000

    /// Runs `body` with ``recorder`` on the far side of the rig's wire (emptied first).
    func tapped<T>(_ body: () -> T) -> T {
        recorder.removeAll()
        rig.wire?.addFarEnd(recorder)
        defer { rig.wire?.removeFarEnd(recorder) }
        return body()
    }

    /// Sends `frames` towards the port, as the far side of the wire.
    func inject(_ frames: [[UInt8]]) {
        for f in frames { f.withUnsafeBytes { rig.wire?.transmitToPort($0) } }
    }

    /// Puts the device back as after a reset.
    func restore() {
        var r = CheckRecorder()
        reset(&r)
    }
}

extension ENAFixture {
    /// Runs one check and wraps its outcome; `body` returns whether the check applied.
    func check(_ suite: String, _ name: String, _ body: (inout CheckRecorder) -> Bool) -> CheckResult {
        var r = CheckRecorder()
        let applicable = body(&r)
        return CheckResult(suite: suite, name: name, function: function.bdf, failures: r.failures, applicable: applicable)
    }

    /// A check that always applies.
    func always(_ suite: String, _ name: String, _ body: (inout CheckRecorder) -> Void) -> CheckResult {
        check(suite, name) { r in
            body(&r)
            return true
        }
    }
}
