/// What one input did.
public struct FuzzOutcome: Sendable {
    /// Operations applied (all of them unless an invariant broke).
    public var operations: Int
    /// The first broken invariant, if any.
    public var violation: FuzzViolation?
}

/// Runs inputs against targets: a fresh target per input, the per-operation invariants after
/// every operation, the canaries after the last one, the final check at the end; an input that
/// broke anything is run again with every check after every operation to name the operation.
/// libFuzzer entry points, `devbench fuzz` and the regression tests all run inputs through here.
public enum FuzzRunner {
    /// Longest one operation may take before it counts as unbounded work (a hang in the model).
    public static let operationTimeLimit = Duration.seconds(10)

    /// Runs `program` on a fresh `target`. Canaries are checksummed when the input stops; an
    /// input that broke any invariant runs again on another fresh target with every check after
    /// every operation, and that run is the outcome (same input, same result, so it names the
    /// same operation a run checking throughout would have).
    public static func run(_ target: any FuzzTarget.Type, _ program: FuzzProgram) -> FuzzOutcome {
        FuzzProcess.prepare()
        let fast = runFresh(target, program, canaries: .atEnd)
        guard fast.violation != nil else { return fast }
        let located = runFresh(target, program, canaries: .everyOperation)
        return located.violation == nil ? fast : located
    }

    static func runFresh(_ target: any FuzzTarget.Type, _ program: FuzzProgram, canaries: CanaryCheck) -> FuzzOutcome {
        let t: any FuzzTarget
        do {
            t = try target.init()
        } catch {
            return FuzzOutcome(
                operations: 0, violation: FuzzViolation(operationIndex: -1, invariant: "setup", detail: "\(error)"))
        }
        return run(t, program, canaries: canaries)
    }

    /// Runs the bytes of one input (libFuzzer's entry point calls this).
    public static func run(_ target: any FuzzTarget.Type, bytes: UnsafeRawBufferPointer) -> FuzzOutcome {
        run(target, FuzzProgram(decoding: bytes))
    }

    /// How often the canaries (memory outside the IOMMU domain) are checksummed.
    enum CanaryCheck {
        /// After every operation: the first operation after which one changed is reported.
        case everyOperation
        /// After the last operation and after the final check. Nothing that changes a canary
        /// gets past it; the caller replays every input that broke an invariant (this or any
        /// other) with ``everyOperation``, which names the operation.
        case atEnd
    }

    /// Runs `program` on `t`. With ``CanaryCheck/atEnd`` a changed canary is reported after the
    /// last operation; the callers replay every failing input on a fresh target with
    /// per-operation checks, so what they report is what checking throughout reports (the
    /// models are deterministic: same input, same result).
    static func run(_ t: any FuzzTarget, _ program: FuzzProgram, canaries: CanaryCheck = .everyOperation) -> FuzzOutcome {
        let clock = ContinuousClock()
        for (i, op) in program.operations.enumerated() {
            let start = clock.now
            if t.harness?.applyGeneric(op) != true { t.apply(op) }
            func violation(_ invariant: String, _ detail: String) -> FuzzOutcome {
                FuzzOutcome(
                    operations: i + 1, violation: FuzzViolation(operationIndex: i, invariant: invariant, detail: detail))
            }
            let took = clock.now - start
            if took > operationTimeLimit { return violation("bounded work", "\(op) took \(took)") }
            if canaries == .everyOperation, let canary = t.harness?.brokenCanary {
                return violation("DMA inside the IOMMU domain", "\(canary) changed")
            }
            if let broken = t.violatedInvariant(after: op) { return violation(broken.invariant, broken.detail) }
        }
        let count = program.operations.count
        if canaries == .atEnd, let canary = t.harness?.brokenCanary {
            return FuzzOutcome(
                operations: count,
                violation: FuzzViolation(
                    operationIndex: max(count - 1, 0), invariant: "DMA inside the IOMMU domain",
                    detail: "\(canary) changed"))
        }
        if let broken = t.finalCheck() {
            return FuzzOutcome(
                operations: count,
                violation: FuzzViolation(operationIndex: count, invariant: broken.invariant, detail: broken.detail))
        }
        if let canary = t.harness?.brokenCanary {
            return FuzzOutcome(
                operations: count,
                violation: FuzzViolation(
                    operationIndex: count, invariant: "DMA inside the IOMMU domain", detail: "\(canary) changed"))
        }
        return FuzzOutcome(operations: count, violation: nil)
    }
}

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

extension FuzzRunner {
    /// What a libFuzzer executable calls per input: runs it on `target` and, if an invariant
    /// broke, prints the violation and aborts, which is how libFuzzer learns about a failure.
    public static func libFuzzerEntry(target name: String, _ bytes: UnsafeRawBufferPointer) -> CInt {
        guard let target = FuzzTargets.named(name) else {
            writeToStandardError("unknown fuzz target \(name)\n")
            abort()
        }
        let outcome = run(target, bytes: bytes)
        if let v = outcome.violation {
            writeToStandardError("INVARIANT BROKEN in \(name) \(v)\n")
            abort()
        }
        return 0
    }
}

/// Writes `text` to file descriptor 2 (libFuzzer's log) without buffering.
private func writeToStandardError(_ text: String) {
    var bytes = Array(text.utf8)
    _ = bytes.withUnsafeMutableBytes { write(2, $0.baseAddress, $0.count) }
}
