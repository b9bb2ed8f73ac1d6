import PCIe

/// A device surface the fuzzers drive: it builds a fresh device in a known deep state (the
/// reference driver brought it up), gives the device-specific operations their meaning, and
/// checks the device's invariants.
///
/// A target is used for one input and thrown away, so inputs do not influence each other.
public protocol FuzzTarget: AnyObject {
    /// The name `devbench fuzz --target`, the libFuzzer executables and the corpora use.
    static var name: String { get }
    /// One line for `devbench fuzz --list`.
    static var summary: String { get }
    /// A fresh device, brought up by the reference driver.
    init() throws

    /// The bus-level harness (nil for targets that fuzz text parsers, not a device).
    var harness: FuzzHarness? { get }
    /// Registers, doorbells and rings the generator aims at.
    var surface: FuzzSurface { get }

    /// Applies the operations ``FuzzHarness`` leaves to the device (doorbells, ring entries,
    /// device reset, VFs, mailbox, re-initialisation).
    func apply(_ op: FuzzOperation)
    /// Device invariants after `op` (the harness checks canaries itself); nil when they hold.
    func violatedInvariant(after op: FuzzOperation) -> (invariant: String, detail: String)?
    /// End of input: resets the device, brings it up again with the reference driver and moves
    /// data through it, and checks what can only be checked at the end (secrets, stores).
    func finalCheck() -> (invariant: String, detail: String)?
}

/// Every target, by name.
public enum FuzzTargets {
    /// The targets `devbench fuzz` knows, in listing order.
    public static var all: [any FuzzTarget.Type] {
        [
            Intel82599PFFuzzTarget.self, Intel82599VFFuzzTarget.self, NVMeFuzzTarget.self, ConfigSpaceFuzzTarget.self,
            LspciDumpFuzzTarget.self, HostProfileFuzzTarget.self, NVMeDriverFuzzTarget.self, IxgbeVFDriverFuzzTarget.self,
            ENAFuzzTarget.self, ENADriverFuzzTarget.self, VFIOUserFuzzTarget.self, SysfsFuzzTarget.self,
        ]
    }

    /// The target called `name`.
    public static func named(_ name: String) -> (any FuzzTarget.Type)? { all.first { $0.name == name } }
}
