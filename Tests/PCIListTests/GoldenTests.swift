import Foundation
import Testing

@testable import pci_list

/// `pci-list -vv` of the default profile, kept as a golden file so a change in the listing shows
/// in review even where lspci is not installed (the oracle tests prove the same text against it).
@Suite struct GoldenTests {
    @Test("pci-list -vv of the default profile equals the golden listing")
    func defaultProfileGolden() throws {
        let url = Oracle.fixtures.appendingPathComponent("golden/default-profile.pci-list-vv.txt")
        let golden = try String(contentsOf: url, encoding: .utf8)
        let loaded = try BusSource.profile("default").load()
        #expect(try Oracle.oursText(["-vv"], loaded.input.functions) == golden)
    }
}
