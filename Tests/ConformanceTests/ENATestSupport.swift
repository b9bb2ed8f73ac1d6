import Conformance
import ENA
import Network
import PCIe
import Testing

/// An ENA at 00:06.0 with its port cabled to a recording far end, placed by firmware.
final class ENARig {
    let bus = PCIBus()
    let bdf = BDF(bus: 0, device: 6, function: 0)
    let wire = Wire()
    let function: PCIFunction
    let device: ENADevice

    init(_ configuration: ENAConfiguration = ENAConfiguration()) throws {
        function = try ENA.makeFunction(at: bdf, services: bus.services, configuration: configuration, wire: wire)
        device = try #require(function.model as? ENADevice)
        try bus.attach(function)
        Firmware(bus: bus).enumerateAndAssign()
        wire.addFarEnd(FrameRecorder(capacity: 16))
    }

    /// The rig as the model describes itself (also once an interposer hides the model).
    var described: ENAConformance.Rig {
        let device = device
        return ENAConformance.Rig(
            wire: wire, allowances: device.configuration.allowances, requestReset: { device.requestReset() },
            setLink: { device.setLink(up: $0) })
    }

    /// Runs `suites` on the device on `rig` (``described`` by default).
    func run(_ suites: [ENAConformance.Suite] = ENAConformance.Suite.allCases, rig: ENAConformance.Rig? = nil) throws
        -> [CheckResult]
    {
        try #require(ENAConformance(bus: bus, bdf: bdf, rig: rig ?? described)).run(suites)
    }

    /// Puts `interposer` between the bus and the model.
    func interpose(_ configure: (ENAInterposer) -> Void) {
        let i = ENAInterposer(device)
        configure(i)
        function.model = i
    }
}

/// A device model that forwards everything to the real ENA model but lets a test rewrite or
/// drop BAR0 accesses, to prove a check can fail.
final class ENAInterposer: PCIDeviceModel {
    let inner: ENADevice
    /// Rewrites the value a BAR0 read at `offset` returns.
    var onRead: (Int, UInt64) -> UInt64 = { $1 }
    /// Rewrites a BAR0 write to `offset`; nil drops it.
    var onWrite: (Int, UInt64) -> UInt64? = { $1 }

    init(_ inner: ENADevice) { self.inner = inner }

    func barRead(_ bar: BARIndex, offset: UInt64, width: AccessWidth) -> UInt64 {
        let v = inner.barRead(bar, offset: offset, width: width)
        return bar == ENA.registerBAR ? onRead(Int(offset), v) : v
    }

    func barWrite(_ bar: BARIndex, offset: UInt64, width: AccessWidth, value: UInt64) {
        guard bar == ENA.registerBAR else { return inner.barWrite(bar, offset: offset, width: width, value: value) }
        guard let v = onWrite(Int(offset), value) else { return }
        inner.barWrite(bar, offset: offset, width: width, value: v)
    }

    func reset(_ kind: ResetKind) { inner.reset(kind) }
}
