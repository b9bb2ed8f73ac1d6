import DMAEngine
import PCIe

/// Runs the suites that apply to each function of a bus.
public enum ConformanceRunner {
    /// Device suites first, then the PCI function suite on VFs before PFs, since a PF's FLR check
    /// takes its VFs away. `include` filters functions (nil: all). The 82599 suites enable VFs
    /// of their own and put the host's back when done, so the PCI function suite runs on the
    /// functions present after them.
    public static func run(bus: PCIBus, include: (PCIFunction) -> Bool = { _ in true }) -> [CheckResult] {
        let chosen = bus.functions.filter(include)
        var results: [CheckResult] = []
        for f in chosen where f.model is DMAEngineDevice {
            results += DMAEngineSuite(bus: bus, bdf: f.bdf).run()
        }
        for f in chosen where Intel82599Conformance.applies(to: f) {
            results += Intel82599Conformance(bus: bus, bdf: f.bdf)?.run() ?? []
        }
        for f in chosen where NVMeConformance.applies(to: f) {
            results += NVMeConformance(bus: bus, bdf: f.bdf)?.run() ?? []
        }
        for f in chosen where ENAConformance.applies(to: f) {
            results += ENAConformance(bus: bus, bdf: f.bdf)?.run() ?? []
        }
        let present = bus.functions.filter(include)
        let ordered = present.filter(\.isVirtualFunction) + present.filter { !$0.isVirtualFunction }
        for f in ordered {
            guard bus.function(at: f.bdf) === f, let suite = PCIFunctionSuite(bus: bus, bdf: f.bdf) else { continue }
            results += suite.run()
        }
        return results
    }
}
