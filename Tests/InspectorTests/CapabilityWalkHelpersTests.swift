import Testing

@testable import Inspector

/// The small helpers the capability decoders lean on.
struct CapabilityWalkHelpersTests {
    @Test func visitedOffsetsReportEachOffsetOnceInsideAndOutsideTheConfigSpace() {
        var visited = VisitedOffsets()
        for offset in [0, 1, 63, 64, 0x100, 0xffc, 4095, 4096, 70_000, -4] {
            let first = visited.insert(offset)
            let again = visited.insert(offset)
            #expect(first, "offset \(offset) first insert")
            #expect(!again, "offset \(offset) inserted twice")
        }
        let sixtyFourAgain = visited.insert(0x40)
        #expect(!sixtyFourAgain)
        // Neighbours of recorded offsets are still new.
        for offset in [2, 4094, 4097] {
            let inserted = visited.insert(offset)
            #expect(inserted, "offset \(offset)")
        }
    }

    @Test func percentGMatchesTheCLibrary() {
        let cases: [(Double, String)] = [
            (25, "25"), (0.1, "0.1"), (250, "250"), (0.001, "0.001"), (1e-7, "1e-07"), (1_234_567, "1.23457e+06"),
            (-2.5, "-2.5"), (0, "0"), (300.0 * 0.01, "3"), (65.5, "65.5"),
        ]
        for (value, text) in cases { #expect(CFormat.g(value) == text, "\(value)") }
    }
}
