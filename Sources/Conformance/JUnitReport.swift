/// Writes conformance results as JUnit XML, the format CI systems read.
public enum JUnitReport {
    /// One `<testsuite>` per suite; each check on each function is a `<testcase>`.
    public static func xml(_ results: [CheckResult]) -> String {
        var suites: [String: [CheckResult]] = [:]
        for r in results { suites[r.suite, default: []].append(r) }
        var out = "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
        let failures = results.filter { !$0.passed }.count
        out += "<testsuites name=\"devbench conform\" tests=\"\(results.count)\" failures=\"\(failures)\">\n"
        for name in suites.keys.sorted() {
            let cases = suites[name] ?? []
            let failed = cases.filter { !$0.passed }.count
            let skipped = cases.filter { !$0.applicable }.count
            out +=
                "  <testsuite name=\"\(escape(name))\" tests=\"\(cases.count)\" failures=\"\(failed)\" skipped=\"\(skipped)\">\n"
            for c in cases {
                out += "    <testcase classname=\"\(escape(name)).\(c.function)\" name=\"\(escape(c.name))\""
                if c.passed && c.applicable {
                    out += "/>\n"
                    continue
                }
                out += ">\n"
                if !c.applicable { out += "      <skipped message=\"not applicable to this function\"/>\n" }
                if !c.passed {
                    let message = c.failures.first ?? ""
                    out +=
                        "      <failure message=\"\(escape(message))\">\(escape(c.failures.joined(separator: "\n")))</failure>\n"
                }
                out += "    </testcase>\n"
            }
            out += "  </testsuite>\n"
        }
        return out + "</testsuites>\n"
    }

    /// XML attribute and text escaping.
    static func escape(_ s: String) -> String {
        var out = ""
        for ch in s.unicodeScalars {
            switch ch {
            case "&": out += "&amp;"
            case "<": out += "&lt;"
            case ">": out += "&gt;"
            case "\"": out += "&quot;"
            case "'": out += "&apos;"
            default:
                if ch.value < 0x20 && ch != "\n" && ch != "\t" { out += "&#\(ch.value);" } else { out.unicodeScalars.append(ch) }
            }
        }
        return out
    }
}
