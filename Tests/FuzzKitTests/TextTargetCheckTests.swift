import Foundation
import Testing

@testable import FuzzKit

/// The host-profile target asks whether an error's text names "fuzz.yaml" mostly by its bytes
/// (`asciiContains(_:_:)`) instead of Foundation's `contains`; the two must agree, also next
/// to combining marks and other non-ASCII text.
@Suite struct TextTargetCheckTests {
    @Test("asciiContains agrees with Foundation's contains")
    func containsAgrees() {
        let pieces = [
            "fuzz", ".yaml", "fuzz.yaml", "f", "z", "u", ".", "yam", "l", " ", "é", "😀", "\u{301}", "\n", ":", "\u{600}",
            "\u{200D}", "K", "\u{212A}",
        ]
        var state: UInt64 = 3
        var found = 0
        for length in 0..<400 {
            var text = ""
            for _ in 0..<(length % 24) {
                state = state &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
                text += pieces[Int(state >> 33) % pieces.count]
            }
            let expected = text.contains("fuzz.yaml")
            #expect(asciiContains(text, "fuzz.yaml") == expected, "\(text.debugDescription)")
            if expected { found += 1 }
        }
        #expect(found > 20)
        #expect(asciiContains("invalid profile fuzz.yaml: x", "fuzz.yaml"))
        #expect(!asciiContains("invalid profile fuzz.yam", "fuzz.yaml"))
        #expect(!asciiContains("", "fuzz.yaml"))
    }
}
