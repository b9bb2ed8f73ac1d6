import Foundation

extension BenchReport {
    /// Pretty-printed JSON with sorted keys.
    public func json() throws -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
        return String(decoding: try encoder.encode(self), as: UTF8.self)
    }

    /// A human table: one row per workload, times in ns per operation, ratio to the
    /// speed-of-light loop, then the machine line and any failures.
    public func table() -> String {
        let header = ["workload", "op", "median ns", "p90", "min", "max", "MAD%", "throughput", "SoL ns", "SoL thru", "ratio"]
        var rows: [[String]] = [header]
        for r in results {
            let sol = r.speedOfLight
            rows.append([
                r.workload, r.operation, Self.number(r.median), Self.number(r.p90), Self.number(r.min), Self.number(r.max),
                r.emulated.map { String(format: "%.1f", $0.relativeSpread * 100) } ?? "-",
                Self.throughput(ns: r.median, bytes: r.bytesPerOperation),
                Self.number(sol?.median), Self.throughput(ns: sol?.median, bytes: r.bytesPerOperation),
                r.ratio.map { String(format: "%.1fx", $0) } ?? "-",
            ])
        }
        let widths = header.indices.map { c in rows.map { $0[c].count }.max() ?? 0 }
        var out = rows.map { row in
            row.enumerated().map { c, cell in
                c < 2
                    ? cell.padding(toLength: widths[c], withPad: " ", startingAt: 0)
                    : String(repeating: " ", count: widths[c] - cell.count) + cell
            }.joined(separator: "  ")
        }
        out.insert(String(repeating: "-", count: out[0].count), at: 1)
        out.append("")
        out.append(
            "\(machine.cores) cores, \(machine.cpu), \(machine.buildConfiguration) build, "
                + "\(repetitions) repetitions, \(machine.clock)")
        out.append("ratio = emulated median / speed-of-light median (same memory work in C, same run)")
        out += latencyLines()
        if machine.buildConfiguration == "debug" { out.append("warning: debug build; figures are not representative") }
        for r in results {
            if let f = r.failure { out.append("\(r.workload): \(f)") }
            if let h = r.retainedHeapBytesPerOperation, h > 0.5 {
                out.append("\(r.workload): heap grew by \(String(format: "%.1f", h)) bytes per \(r.operation)")
            }
        }
        return out.joined(separator: "\n") + "\n"
    }

    /// Per-command latency and IOPS of workloads with a latency probe, and the encrypted ones
    /// against `openssl speed`, next to what their speed-of-light loop (the same store work in C)
    /// reaches against it.
    func latencyLines() -> [String] {
        let probed = results.filter { $0.latencyP50 != nil }
        guard !probed.isEmpty else { return [] }
        var out = ["", "latency (submission to reaped completion, \(probed.count) workloads):"]
        let width = probed.map(\.workload.count).max() ?? 0
        for r in probed {
            let iops = r.operationsPerSecond.map { String(format: "%.0fk IOPS", $0 / 1e3) } ?? "-"
            var line =
                "  " + r.workload.padding(toLength: width, withPad: " ", startingAt: 0)
                + "  \(iops)  p50 \(Self.number(r.latencyP50)) ns  p99 \(Self.number(r.latencyP99)) ns"
            if r.workload.hasSuffix("-xts"), let limit = openSSLSpeed?.unitsPerSecond, let ops = r.operationsPerSecond {
                line += String(format: "  %.2f of openssl speed", ops / limit)
                if let wall = openSSLSpeedElapsed?.unitsPerSecond { line += String(format: " (%.2f of -elapsed)", ops / wall) }
                if let sol = r.speedOfLightMedian, sol > 0 {
                    // What the same memory work reaches with no emulation around it: the ceiling
                    // this store puts on the ratio above.
                    line += String(format: "; C loop over the same store %.2f", 1e9 / sol / limit)
                }
            }
            out.append(line)
        }
        if let o = openSSLSpeed {
            for speed in [o] + (openSSLSpeedElapsed.map { [$0] } ?? []) {
                let runs = speed.samples.map { String(format: "%.2f", $0 / 1e9) }.joined(separator: " / ")
                out.append(
                    String(
                        format: "  %@: %.2f GB/s = %.0fk 4 KiB units/s (median of %@ GB/s)", speed.command,
                        speed.bytesPerSecond / 1e9, speed.unitsPerSecond / 1e3, runs))
            }
        } else if probed.contains(where: { $0.workload.hasSuffix("-xts") }) {
            out.append("  openssl speed: not available (no openssl binary, or output not understood)")
        }
        return out
    }

    static func number(_ v: Double?) -> String {
        guard let v else { return "-" }
        return v >= 100 ? String(format: "%.0f", v) : v >= 10 ? String(format: "%.1f", v) : String(format: "%.2f", v)
    }

    static func throughput(ns: Double?, bytes: Int) -> String {
        guard let ns, ns > 0 else { return "-" }
        if bytes > 0 { return String(format: "%.2f GB/s", Double(bytes) / ns) }
        let perSecond = 1e9 / ns
        return perSecond >= 1e6 ? String(format: "%.1f M/s", perSecond / 1e6) : String(format: "%.0f k/s", perSecond / 1e3)
    }
}
