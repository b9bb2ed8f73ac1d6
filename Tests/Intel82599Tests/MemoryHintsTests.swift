import CMemoryHints
import Testing

@Suite("memory hints used on the 82599 frame path")
struct MemoryHintsTests {
    @Test("mh_copy_short copies exactly `length` bytes for every length up to 200, touching nothing around them")
    func shortCopyIsExact() {
        let source = (0..<256).map { UInt8(truncatingIfNeeded: $0 &* 7 &+ 3) }
        for length in 0...200 {
            var destination = [UInt8](repeating: 0xAA, count: 256)
            source.withUnsafeBytes { s in
                destination.withUnsafeMutableBytes { d in
                    mh_copy_short(d.baseAddress! + 8, s.baseAddress! + 5, length)
                }
            }
            #expect(Array(destination[8..<(8 + length)]) == Array(source[5..<(5 + length)]), "length \(length)")
            #expect(destination[0..<8].allSatisfy { $0 == 0xAA }, "length \(length)")
            #expect(destination[(8 + length)...].allSatisfy { $0 == 0xAA }, "length \(length)")
        }
    }

    @Test("prefetch hints change no memory")
    func prefetchChangesNothing() {
        var bytes = [UInt8](repeating: 0x5C, count: 128)
        bytes.withUnsafeMutableBytes { p in
            mh_prefetch_read(p.baseAddress!)
            mh_prefetch_write(p.baseAddress! + 64)
        }
        #expect(bytes.allSatisfy { $0 == 0x5C })
    }
}
