import Conformance
import Intel82599
import Network
import PCIe
import Testing

/// An 82599 PF at 00:05.0 with its port cabled to a recording far end, placed by firmware;
/// optionally `vfs` VFs enabled the way a host with SR-IOV would have them.
final class NICBus {
    let bus = PCIBus()
    let bdf = BDF(bus: 0, device: 5, function: 0)
    let wire: Wire?
    let function: PCIFunction
    let device: Intel82599Device

    init(totalVFs: UInt16 = 64, wire: Bool = true) throws {
        let w = wire ? Wire() : nil
        self.wire = w
        function = try Intel82599.makePhysicalFunction(at: bdf, services: bus.services, totalVFs: totalVFs, wire: w)
        device = try #require(function.model as? Intel82599Device)
        try bus.attach(function)
        Firmware(bus: bus).enumerateAndAssign()
        w?.addFarEnd(FrameRecorder(capacity: 16))
    }

    /// The port as the model describes it.
    var port: Intel82599Conformance.Port {
        Intel82599Conformance.Port(wire: wire, permanentAddress: device.permanentAddress, linkPartner: device.cablePlugged)
    }

    /// Runs `suites` on the PF through `port` (the model's own description by default).
    func run(_ suites: [Intel82599Conformance.Suite], port: Intel82599Conformance.Port? = nil) throws -> [CheckResult] {
        try #require(Intel82599Conformance(bus: bus, bdf: bdf, port: port ?? self.port)).run(suites)
    }

    /// Puts `interposer` between the bus and the PF's model.
    func interpose(_ configure: (Interposer) -> Void) {
        let i = Interposer(device)
        configure(i)
        function.model = i
    }
}

/// A device model that forwards everything to the real 82599 model but lets a test rewrite or
/// drop BAR0 accesses: a register sabotaged on purpose, to prove a check can fail.
final class Interposer: PCIDeviceModel {
    let inner: Intel82599Device
    /// Rewrites the value a read at `offset` returns.
    var onRead: (Int, UInt64) -> UInt64 = { $1 }
    /// Rewrites a write to `offset`; nil drops it.
    var onWrite: (Int, UInt64) -> UInt64? = { $1 }

    init(_ inner: Intel82599Device) { self.inner = inner }

    func barRead(_ bar: BARIndex, offset: UInt64, width: AccessWidth) -> UInt64 {
        let v = inner.barRead(bar, offset: offset, width: width)
        return bar == Intel82599.registerBAR ? onRead(Int(offset), v) : v
    }

    func barWrite(_ bar: BARIndex, offset: UInt64, width: AccessWidth, value: UInt64) {
        guard bar == Intel82599.registerBAR else { return inner.barWrite(bar, offset: offset, width: width, value: value) }
        guard let v = onWrite(Int(offset), value) else { return }
        inner.barWrite(bar, offset: offset, width: width, value: v)
    }

    func reset(_ kind: ResetKind) { inner.reset(kind) }
    func makeVirtualFunction(index: Int, services: PlatformServices) -> PCIFunction? {
        inner.makeVirtualFunction(index: index, services: services)
    }
    func virtualFunctionsChanged(count: Int) { inner.virtualFunctionsChanged(count: count) }
    func configWritten(_ offset: ConfigOffset, width: AccessWidth) { inner.configWritten(offset, width: width) }
}

extension [CheckResult] {
    /// Results whose name contains `text`.
    func named(_ text: String) -> [CheckResult] { filter { $0.name.contains(text) } }
    /// Failure messages of every result, for diagnostics.
    var failureText: String {
        filter { !$0.passed }.map { "\($0.function) \($0.suite): \($0.name): \($0.failures.prefix(4))" }.joined(separator: "\n")
    }
}
