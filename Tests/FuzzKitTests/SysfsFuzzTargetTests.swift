import Foundation
import Inspector
import Testing

@testable import FuzzKit

@Suite("the sysfs fuzz target")
struct SysfsFuzzTargetTests {
    @Test("the sample is the default profile's tree: every function reads back with no problem, driver and physfn links too")
    func sampleReadsBack() throws {
        let tree = SysfsBundle.decode(SysfsFuzzTarget.sample, root: SysfsFuzzTarget.root)
        let input = SysfsImporter(root: SysfsFuzzTarget.root, source: tree).read()
        #expect(input.problems.isEmpty, "\(input.problems)")
        #expect(input.functions.count >= 6)
        #expect(input.functions.contains { $0.snapshot.isVirtualFunction && $0.snapshot.physicalFunction != nil })
        #expect(input.functions.contains { $0.kernelDriver != nil })
        #expect(input.functions.allSatisfy { !$0.snapshot.resources.isEmpty })
    }

    @Test("a bundle decodes to the files and links it encodes")
    func bundleRoundTrip() {
        let tree = InMemorySysfs(
            files: ["devices/0000:00:03.0/config": [1, 2, 0x1E, 3], "devices/0000:00:03.0/irq": Array("11\n".utf8)],
            links: ["devices/0000:00:03.0/driver": "../../bus/pci/drivers/ixgbe"])
        let back = SysfsBundle.decode(SysfsBundle.encode(tree), root: "/r")
        // A separator byte inside a file ends its record there (any byte string decodes).
        #expect(back.files["/r/devices/0000:00:03.0/config"] == [1, 2])
        #expect(back.files["/r/devices/0000:00:03.0/irq"] == Array("11\n".utf8))
        #expect(back.links["/r/devices/0000:00:03.0/driver"] == "../../bus/pci/drivers/ixgbe")
        #expect(back.names(inDirectory: "/r/devices") == ["0000:00:03.0"])
        #expect(back.exists("/r/devices/0000:00:03.0") && !back.exists("/r/devices/0000:00:04.0"))
    }

    @Test("damaged files are problems that name them, and the functions still list")
    func damageIsNamed() throws {
        var files = SysfsBundle.decode(SysfsFuzzTarget.sample, root: "/t").files
        let links = SysfsBundle.decode(SysfsFuzzTarget.sample, root: "/t").links
        let resource = try #require(files.keys.sorted().first { $0.hasSuffix("/resource") })
        files[resource] = Array("0x zz\n".utf8)
        let irq = try #require(files.keys.sorted().first { $0.hasSuffix("/irq") })
        files[irq] = [0xFF, 0xFE]
        files["/t/devices/not-an-address/config"] = [0]
        let input = SysfsImporter(root: "/t", source: InMemorySysfs(files: files, links: links)).read()
        let named = Set(input.problems.map(\.file))
        #expect(named.contains(resource) && named.contains(irq) && named.contains("/t/devices/not-an-address"))
        #expect(input.functions.count >= 6)
        #expect(!LspciFormatter(options: LspciOptions(verbosity: 2)).format(input.functions.map(\.snapshot)).isEmpty)
    }

    @Test("generated inputs break no invariant")
    func campaign() throws {
        let result = FuzzCampaign(target: SysfsFuzzTarget.self, seed: 3).run(.iterations(20)) { _ in }
        #expect(result.violation == nil)
        #expect(result.inputs == 20)
    }
}
