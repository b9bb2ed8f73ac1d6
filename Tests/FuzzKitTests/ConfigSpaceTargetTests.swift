import Inspector
import PCIe
import Testing

@testable import FuzzKit

/// The config-space target formats at -v and -vv only; that is as strong as formatting at -vvv
/// too only while -vvv lists exactly what -vv lists. If the formatter ever decodes more at -vvv,
/// this fails: add 3 to `ConfigSpaceFuzzTarget.verbosities`.
@Suite struct ConfigSpaceTargetTests {
    func listing(_ image: [UInt8], _ resources: [ResourceWindow], verbosity: Int) -> String {
        let snapshot = FunctionSnapshot(bdf: BDF(bus: 1, device: 0, function: 0), config: image, resources: resources)
        return LspciFormatter(options: LspciOptions(verbosity: verbosity, nameStyle: .mixed)).format([snapshot])
    }

    @Test func veryVerboseListsWhatVerboseLists() throws {
        let sample = try Intel82599FuzzRig().pf.snapshot()
        var generator = FuzzGenerator(seed: 77, surface: try ConfigSpaceFuzzTarget().surface)
        var compared = 0
        for _ in 0..<30 {
            let target = try ConfigSpaceFuzzTarget()
            for op in generator.program(maximumLength: 48).operations {
                target.apply(op)
                let vv = listing(target.image, sample.resources, verbosity: 2)
                #expect(listing(target.image, sample.resources, verbosity: 3) == vv)
                compared += 1
            }
        }
        var rng = SplitMix64(seed: 0x3_0303)
        for _ in 0..<300 {
            let image = (0..<4096).map { _ in UInt8(truncatingIfNeeded: rng.next()) }
            #expect(listing(image, sample.resources, verbosity: 3) == listing(image, sample.resources, verbosity: 2))
        }
        #expect(compared > 100)
        #expect(ConfigSpaceFuzzTarget.verbosities == [1, 2])
    }

    @Test func theCheckStillFormatsEveryVerbosityItDistinguishes() throws {
        // -v and -vv differ on the sample (so neither can stand in for the other).
        let sample = try Intel82599FuzzRig().pf.snapshot()
        #expect(listing(sample.config, sample.resources, verbosity: 1) != listing(sample.config, sample.resources, verbosity: 2))
    }
}
