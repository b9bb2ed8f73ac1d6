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

    @Test("all suites pass on the default profile and JUnit XML is well formed")
    func junit() throws {
        let dir = try CLI.temporaryDirectory("junit")
        let file = dir.appendingPathComponent("conform.xml")
        let r = try CLI.run(["conform", "--junit", file.path])
        #expect(r.status == 0, "\(r.stdout)")
        #expect(r.stdout.contains("0 failed"))
        let parser = try #require(XMLParser(contentsOf: file))
        let counter = JUnitCounter()
        parser.delegate = counter
        #expect(parser.parse())
        #expect(counter.failures == 0)
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
}
