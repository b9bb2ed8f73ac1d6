import Foundation
import Testing

#if canImport(FoundationXML)
    import FoundationXML
#endif

@Suite("devbench conform")
struct ConformCommandTests {
    /// Counts elements and collects attributes of a JUnit file.
    final class JUnitCounter: NSObject, XMLParserDelegate {
        var testcases = 0
        var failures = 0
        var rootTests: Int?
        func parser(
            _ parser: XMLParser, didStartElement name: String, namespaceURI: String?, qualifiedName: String?,
            attributes: [String: String] = [:]
        ) {
            if name == "testcase" { testcases += 1 }
            if name == "failure" { failures += 1 }
            if name == "testsuites" { rootTests = attributes["tests"].flatMap { Int($0) } }
        }
    }

    @Test("all suites pass on the default profile (but for known 82599 model issues) and JUnit XML is well formed")
    func junit() throws {
        let dir = try CLI.temporaryDirectory("junit")
        let file = dir.appendingPathComponent("conform.xml")
        let r = try CLI.run(["conform", "--junit", file.path])
        let failures = r.stdout.split(separator: "\n").filter { $0.hasPrefix("FAIL") }
        #expect(failures.isEmpty, "\(r.stdout)")
        #expect(r.status == 0, "\(r.stdout)")
        #expect(r.stdout.contains(" 0 failed"))
        let parser = try #require(XMLParser(contentsOf: file))
        let counter = JUnitCounter()
        parser.delegate = counter
        #expect(parser.parse())
        #expect(counter.failures == failures.count)
        #expect(counter.testcases > 20)
        #expect(counter.rootTests == counter.testcases)
    }

    @Test("--device selects one function; unknown selector is refused")
    func deviceFilter() throws {
        let one = try CLI.run(["conform", "--device", "00:00.0"])
        #expect(one.status == 0)
        #expect(!one.stdout.contains("00:03.0"))
        #expect(one.stdout.contains("00:00.0"))
        let engines = try CLI.run(["conform", "--device", "dma-engine"])
        #expect(engines.stdout.contains("00:13.2"))
        #expect(!engines.stdout.contains("00:00.0"))
        let bad = try CLI.run(["conform", "--device", "toaster"])
        #expect(bad.status != 0)
    }

    /// A profile with an 82599 PF (SR-IOV, two VFs asked for) next to a DMA engine.
    static let nicProfile = """
        name: nic
        description: an 82599 with SR-IOV and a DMA engine
        devices:
          - { kind: host-bridge, slot: "00:00.0" }
          - { kind: dma-engine, slot: "00:03.0", totalVFs: 8, vfs: 2 }
          - { kind: intel-82599, slot: "00:05.0", totalVFs: 64, vfs: 2 }
        """

    @Test("--device 82599 and --device intel-82599 run the 82599 suites on its functions only")
    func intel82599Suites() throws {
        let dir = try CLI.temporaryDirectory("conform-82599")
        let profile = dir.appendingPathComponent("nic.yaml")
        try Self.nicProfile.write(to: profile, atomically: true, encoding: .utf8)
        let file = dir.appendingPathComponent("conform.xml")
        let short = try CLI.run(["conform", "--profile", profile.path, "--device", "82599", "--junit", file.path])
        let long = try CLI.run(["conform", "--profile", profile.path, "--device", "intel-82599"])
        let lines = short.stdout.split(separator: "\n")
        let checks = lines.filter { $0.hasPrefix("pass") || $0.hasPrefix("FAIL") || $0.hasPrefix("n/a") }
        #expect(
            checks.count
                == long.stdout.split(separator: "\n").filter {
                    $0.hasPrefix("pass") || $0.hasPrefix("FAIL") || $0.hasPrefix("n/a")
                }.count)
        for suite in [
            "intel82599-pf-registers", "intel82599-vf-registers", "intel82599-reset", "intel82599-queues", "intel82599-rss",
            "intel82599-mailbox", "intel82599-switch", "intel82599-anti-spoof", "intel82599-mailbox-protocol", "pci-function",
        ] {
            #expect(short.stdout.contains(" \(suite): "), "no \(suite) checks in:\n\(short.stdout)")
        }
        #expect(checks.count > 40)
        let outside = checks.filter { !$0.contains("00:05.0") && !$0.contains("00:15.") }
        #expect(outside.isEmpty, "checks ran outside the 82599: \(outside)")
        let failures = checks.filter { $0.hasPrefix("FAIL") }
        #expect(failures.isEmpty, "\(short.stdout)")
        #expect(short.status == 0)
        let parser = try #require(XMLParser(contentsOf: file))
        let counter = JUnitCounter()
        parser.delegate = counter
        #expect(parser.parse())
        #expect(counter.testcases == checks.count)
        #expect(counter.failures == failures.count)
    }

    @Test("--device ena runs the ENA suites (and the PCI function suite) on 00:06.0 of the default profile, all passing")
    func enaSuites() throws {
        let r = try CLI.run(["conform", "--device", "ena"])
        #expect(r.status == 0, "\(r.stdout)")
        let checks = r.stdout.split(separator: "\n").filter {
            $0.hasPrefix("pass") || $0.hasPrefix("FAIL") || $0.hasPrefix("n/a")
        }
        #expect(checks.allSatisfy { $0.contains("00:06.0") })
        for suite in [
            "ena-registers", "ena-readless", "ena-admin", "ena-events", "ena-io", "ena-rss", "ena-allowances", "pci-function",
        ] {
            #expect(r.stdout.contains(" \(suite): "), "no \(suite) checks in:\n\(r.stdout)")
        }
        #expect(checks.filter { $0.hasPrefix("FAIL") }.isEmpty)
        #expect(checks.count == 41)
    }
}
