import PCIe

/// The one-paragraph verdict `devbench` prints after a run.
public struct RunSummary: Sendable {
    /// Whether the run passed: every smoke check passed, bring-up had no problems, no DMA faults,
    /// no guest errors, every BAR placed.
    public let passed: Bool
    /// The printed summary.
    public let text: String

    /// Summarises a host after `bringUp()` and `runSmoke()`.
    public init(host: VirtualHost, smoke: [SmokeResult]) {
        let functions = host.bus.functions
        let pfs = functions.filter { !$0.isVirtualFunction }.count
        let vfs = functions.count - pfs
        let failed = smoke.filter { !$0.passed }.count
        let faults = host.bus.services.faults.total
        let guestErrors = host.bus.services.guestErrors.total
        let unplaced = host.enumeration.unplaced.count
        passed = failed == 0 && host.bringUpProblems.isEmpty && faults == 0 && guestErrors == 0 && unplaced == 0
        text = """
            Summary: \(functions.count) functions (\(pfs) physical, \(vfs) virtual), \(host.bus.windows.count) BAR windows decoded, \
            \(host.enumeration.unplaced.count) unplaced; smoke \(smoke.count - failed)/\(smoke.count) passed; \
            \(faults) DMA faults, \(guestErrors) guest errors; virtual time \(host.bus.services.clock.now.nanoseconds) ns.
            Result: \(passed ? "PASS" : "FAIL")
            """
    }
}
