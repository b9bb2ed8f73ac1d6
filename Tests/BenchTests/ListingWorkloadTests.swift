import Bench
import Testing

@Suite("pci-list-63vf workload")
struct ListingWorkloadTests {
    @Test("one listing brings up 65 functions with 63 ixgbevf bindings and prints what real lspci prints")
    func listingMatchesLspci() throws {
        let workload = try #require(BenchWorkload.matching("pci-list-63vf").first)
        let instance = try workload.make()
        let ours = instance.emulated(1)
        let lspci = instance.speedOfLight(1)
        #expect(ours > 20_000)
        #expect(ours == lspci, "pci-list -vv and lspci -vv print the same bytes for the 63-VF host")
        #expect(instance.failures() == 0)
    }
}
