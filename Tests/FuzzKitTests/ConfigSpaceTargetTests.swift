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

    @Test("the image comparison (memcmp) agrees with Array ==")
    func sameBytesAgrees() {
        var state: UInt64 = 5
        func next() -> Int {
            state = state &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
            return Int(state >> 33)
        }
        let base = (0..<4096).map { UInt8(truncatingIfNeeded: $0 &* 31) }
        #expect(ConfigSpaceFuzzTarget.sameBytes(base, base))
        #expect(ConfigSpaceFuzzTarget.sameBytes([], []))
        for _ in 0..<300 {
            var other = base
            for _ in 0..<(next() % 3) { other[next() % other.count] = UInt8(truncatingIfNeeded: next()) }
            if next() % 8 == 0 { other.removeLast(1 + next() % 16) }
            #expect(ConfigSpaceFuzzTarget.sameBytes(base, other) == (base == other))
            #expect(ConfigSpaceFuzzTarget.sameBytes(other, base) == (other == base))
        }
        var last = base
        last[4095] ^= 1
        #expect(!ConfigSpaceFuzzTarget.sameBytes(base, last))
    }
}
