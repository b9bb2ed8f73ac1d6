import Foundation

/// The figure `openssl speed -evp aes-256-xts -bytes 4096` prints, measured in the same run as
/// the encrypted NVMe workloads so their ratio compares like with like.
public struct OpenSSLSpeed: Codable, Sendable, Equatable {
    /// The command that was run.
    public var command: String
    /// Bytes per second for 4 KiB units: the median of ``samples``.
    public let bytesPerSecond: Double
    /// What each run of the command reported, in bytes per second, in the order they ran.
    public let samples: [Double]

    /// A figure from the rates `samples` of several runs of `command` (at least one).
    public init(command: String, samples: [Double]) {
        self.command = command
        self.samples = samples
        bytesPerSecond = Self.median(samples)
    }

    /// The middle value of `values` (the mean of the two middle ones for an even count); 0 for none.
    static func median(_ values: [Double]) -> Double {
        let sorted = values.sorted()
        guard !sorted.isEmpty else { return 0 }
        let middle = sorted.count / 2
        return sorted.count % 2 == 1 ? sorted[middle] : (sorted[middle - 1] + sorted[middle]) / 2
    }

    /// Both figures the report gives, from `runs` one-second runs of each, alternated (by CPU
    /// time, then with `-elapsed`, and again) so that both see the same moments of the machine.
    /// A single one-second run moves by up to ~15 % on a shared machine; the median of three
    /// moves much less. nil for a figure whose runs did not all succeed.
    public static func measurePair(runs: Int = 3) -> (cpuTime: OpenSSLSpeed?, elapsed: OpenSSLSpeed?) {
        var cpuTime: [OpenSSLSpeed?] = []
        var elapsed: [OpenSSLSpeed?] = []
        for _ in 0..<max(1, runs) {
            cpuTime.append(measure())
            elapsed.append(measure(elapsed: true))
        }
        return (combined(cpuTime), combined(elapsed))
    }

    /// One figure from several runs of the same command; nil if any run failed.
    static func combined(_ runs: [OpenSSLSpeed?]) -> OpenSSLSpeed? {
        let succeeded = runs.compactMap { $0 }
        guard let first = succeeded.first, succeeded.count == runs.count else { return nil }
        return OpenSSLSpeed(command: first.command, samples: succeeded.flatMap(\.samples))
    }

    /// 4 KiB data units per second: the IOPS ceiling of XTS-AES-256 on one core.
    public var unitsPerSecond: Double { bytesPerSecond / 4096 }

    /// Runs `openssl speed` for `seconds` seconds; nil if the tool is missing or its output is not understood.
    ///
    /// By default `openssl speed` divides by the user CPU time it got, which on a loaded machine
    /// is less than the wall time it took; the bench times the emulator by the wall clock. With
    /// `elapsed` it passes `-elapsed` and divides by wall time too, the like-for-like figure.
    public static func measure(seconds: Int = 1, elapsed: Bool = false) -> OpenSSLSpeed? {
        let arguments =
            ["speed"] + (elapsed ? ["-elapsed"] : []) + ["-evp", "aes-256-xts", "-bytes", "4096", "-seconds", String(seconds)]
        guard let path = ["/usr/bin/openssl", "/usr/local/bin/openssl"].first(where: FileManager.default.isExecutableFile)
        else { return nil }
        let process = Process()
        process.executableURL = URL(fileURLWithPath: path)
        process.arguments = arguments
        let output = Pipe()
        process.standardOutput = output
        process.standardError = FileHandle.nullDevice
        // `openssl speed` times itself with alarm(): SIGALRM must reach it, and a child starts with
        // the spawning thread's signal mask (test runners' threads block SIGALRM; with it blocked
        // `openssl speed` never stops).
        var alarm = sigset_t()
        var previous = sigset_t()
        sigemptyset(&alarm)
        sigaddset(&alarm, SIGALRM)
        pthread_sigmask(SIG_UNBLOCK, &alarm, &previous)
        defer { pthread_sigmask(SIG_SETMASK, &previous, nil) }
        do {
            try process.run()
        } catch {
            return nil
        }
        let data = output.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        guard process.terminationStatus == 0, let rate = parse(String(decoding: data, as: UTF8.self)) else { return nil }
        return OpenSSLSpeed(command: "openssl " + arguments.joined(separator: " "), samples: [rate])
    }

    /// The rate in bytes per second from `openssl speed` output: the AES-256-XTS row's last
    /// column, in thousands of bytes per second with a "k" suffix.
    static func parse(_ text: String) -> Double? {
        for line in text.split(separator: "\n") where line.lowercased().hasPrefix("aes-256-xts") {
            guard let last = line.split(separator: " ").last, last.hasSuffix("k"), let k = Double(last.dropLast()) else {
                continue
            }
            return k * 1000
        }
        return nil
    }
}
