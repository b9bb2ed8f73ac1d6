/// `devbench fuzz` without libFuzzer: generated programs from a seed, each on a fresh target,
/// until the budget runs out or an invariant breaks. Same seed, same programs, same result.
public struct FuzzCampaign {
    /// When to stop.
    public enum Budget: Sendable {
        case iterations(Int)
        case seconds(Double)
    }

    /// How a campaign ended.
    public struct Result: Sendable {
        public var target: String
        public var seed: UInt64
        public var inputs = 0
        public var operations = 0
        public var elapsed = Duration.zero
        /// The input that broke an invariant (with the target's name in its header), if any.
        public var failingInput: FuzzProgram?
        public var violation: FuzzViolation?

        /// Inputs per second.
        public var inputsPerSecond: Double {
            let s = Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) * 1e-18
            return s > 0 ? Double(inputs) / s : 0
        }
    }

    public let target: any FuzzTarget.Type
    public let seed: UInt64
    public let maximumProgramLength: Int

    public init(target: any FuzzTarget.Type, seed: UInt64, maximumProgramLength: Int = 48) {
        self.target = target
        self.seed = seed
        self.maximumProgramLength = maximumProgramLength
    }

    /// Runs the campaign; `progress` is called about once a second of wall time.
    public func run(_ budget: Budget, progress: (Result) -> Void = { _ in }) -> Result {
        var result = Result(target: target.name, seed: seed)
        let clock = ContinuousClock()
        let start = clock.now
        var lastReport = start
        // The surface comes from one instance; programs are generated against it.
        guard let probe = try? target.init() else {
            result.violation = FuzzViolation(operationIndex: -1, invariant: "setup", detail: "the target did not build")
            return result
        }
        var generator = FuzzGenerator(seed: seed, surface: probe.surface)
        while true {
            switch budget {
            case .iterations(let n): if result.inputs >= n { return finish(&result, start, clock) }
            case .seconds(let s): if clock.now - start >= .milliseconds(Int64(s * 1000)) { return finish(&result, start, clock) }
            }
            var program = generator.program(maximumLength: maximumProgramLength)
            program.targetName = target.name
            let outcome = FuzzRunner.run(target, program)
            result.inputs += 1
            result.operations += outcome.operations
            if let v = outcome.violation {
                result.violation = v
                result.failingInput = program
                return finish(&result, start, clock)
            }
            if clock.now - lastReport >= .seconds(1) {
                lastReport = clock.now
                result.elapsed = clock.now - start
                progress(result)
            }
        }
    }

    private func finish(_ result: inout Result, _ start: ContinuousClock.Instant, _ clock: ContinuousClock) -> Result {
        result.elapsed = clock.now - start
        return result
    }
}
