import BlockCrypto
import Testing

@Suite struct CacheControlTests {
    @Test(arguments: [(0, 4096), (0, 512), (16, 4080), (4, 4096), (0, 100), (0, 0)])
    func streamingCopyCopiesExactlyTheBytesAskedFor(destinationOffset: Int, length: Int) {
        // Aligned destinations with whole 16-byte chunks take the streaming path; the others
        // (offset 4, length 100) fall back to memcpy. Neither may touch a byte outside the range.
        let source = UnsafeMutableRawPointer.allocate(byteCount: 4096 + 64, alignment: 4096)
        let destination = UnsafeMutableRawPointer.allocate(byteCount: 4096 + 64, alignment: 4096)
        defer {
            source.deallocate()
            destination.deallocate()
        }
        for i in 0..<(4096 + 64) {
            source.storeBytes(of: UInt8(truncatingIfNeeded: i &* 7 &+ 1), toByteOffset: i, as: UInt8.self)
            destination.storeBytes(of: 0xEE, toByteOffset: i, as: UInt8.self)
        }
        CacheControl.copyStreaming(to: destination + destinationOffset, from: source + 3, length: length)
        for i in 0..<(4096 + 64) {
            let inside = i >= destinationOffset && i < destinationOffset + length
            let expected = inside ? source.load(fromByteOffset: i - destinationOffset + 3, as: UInt8.self) : 0xEE
            if destination.load(fromByteOffset: i, as: UInt8.self) != expected {
                Issue.record("byte \(i) differs")
                return
            }
        }
    }

    @Test func prefetchChangesNothing() {
        let buffer = UnsafeMutableRawPointer.allocate(byteCount: 4096, alignment: 4096)
        defer { buffer.deallocate() }
        buffer.initializeMemory(as: UInt8.self, repeating: 0x5A, count: 4096)
        CacheControl.prefetch(buffer, length: 4096, forWriting: true)
        CacheControl.prefetch(buffer, length: 512, forWriting: false)
        #expect((0..<4096).allSatisfy { buffer.load(fromByteOffset: $0, as: UInt8.self) == 0x5A })
    }
}
