import PCIe

/// The outcome of one conformance check on one function.
public struct CheckResult: Sendable, Equatable {
    /// Suite name, e.g. `pci-function`.
    public let suite: String
    /// Check name, led by the spec section it checks.
    public let name: String
    /// The function checked.
    public let function: BDF
    /// Failures found (empty: passed).
    public let failures: [String]
    /// Whether the check applied (false: skipped because the function lacks the feature).
    public let applicable: Bool

    /// Creates a result.
    public init(suite: String, name: String, function: BDF, failures: [String], applicable: Bool = true) {
        self.suite = suite
        self.name = name
        self.function = function
        self.failures = failures
        self.applicable = applicable
    }

    /// Passed (or not applicable).
    public var passed: Bool { failures.isEmpty }
}

/// Collects failures for one check.
struct CheckRecorder {
    private(set) var failures: [String] = []
    mutating func expect(_ condition: Bool, _ message: @autoclosure () -> String) {
        if !condition { failures.append(message()) }
    }
}

/// Hex formatting for messages.
func hex(_ v: some BinaryInteger) -> String { "0x" + String(v, radix: 16) }
