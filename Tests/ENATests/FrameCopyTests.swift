import TestSupport
import Testing

@testable import ENA

@Suite("receive fast path's frame copy")
struct FrameCopyTests {
    @Test("copies what copyMemory copies for every length 0...200, leaving the bytes around the target alone")
    func agreesWithCopyMemory() {
        var random = SplitMix64(seed: 0xF4A3E)
        for length in 0...200 {
            let source = (0..<length).map { _ in UInt8(truncatingIfNeeded: random.next()) }
            var copied = [UInt8](repeating: 0xA5, count: length + 32)
            var reference = copied
            source.withUnsafeBytes { s in
                copied.withUnsafeMutableBytes { FrameCopy.copy(to: $0.baseAddress! + 16, from: s.baseAddress!, count: length) }
                reference.withUnsafeMutableBytes { ($0.baseAddress! + 16).copyMemory(from: s.baseAddress!, byteCount: length) }
            }
            #expect(copied == reference, "length \(length)")
        }
    }

    @Test("a target that overlaps the source gets what memmove gives it")
    func overlapping() {
        var random = SplitMix64(seed: 0x0E1A9)
        for length in 0...80 {
            for shift in [-17, -16, -9, -1, 1, 3, 15, 16, 33] {
                var bytes = (0..<(length + 80)).map { _ in UInt8(truncatingIfNeeded: random.next()) }
                var reference = bytes
                bytes.withUnsafeMutableBytes {
                    FrameCopy.copy(to: $0.baseAddress! + (40 + shift), from: $0.baseAddress! + 40, count: length)
                }
                reference.withUnsafeMutableBytes {
                    ($0.baseAddress! + (40 + shift)).copyMemory(from: $0.baseAddress! + 40, byteCount: length)
                }
                #expect(bytes == reference, "length \(length), target at \(shift)")
            }
        }
    }
}
