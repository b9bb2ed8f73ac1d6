/// The receive fast path's frame copy. A frame of 16 to 64 bytes (every minimum-size Ethernet
/// frame) is copied with at most four 16-byte loads that overlap as the length needs, all loaded
/// before anything is stored, so a target that overlaps the source (a guest can post an Rx buffer
/// over its own Tx buffer) gets what `memmove` would give it; any other length calls `memmove`.
/// Inline, the copy keeps the burst loop's registers: a call would clobber the caller-saved ones.
enum FrameCopy {
    /// Copies `count` bytes from `source` to `target` as `copyMemory(from:byteCount:)` does.
    @inline(__always)
    static func copy(to target: UnsafeMutableRawPointer, from source: UnsafeRawPointer, count: Int) {
        if UInt(bitPattern: count &- 16) <= 48 {
            typealias Chunk = SIMD16<UInt8>
            let a = source.loadUnaligned(as: Chunk.self)
            let d = source.loadUnaligned(fromByteOffset: count &- 16, as: Chunk.self)
            if count >= 32 {
                // 32-64 bytes: [0, 32) and [count - 32, count).
                let b = source.loadUnaligned(fromByteOffset: 16, as: Chunk.self)
                let c = source.loadUnaligned(fromByteOffset: count &- 32, as: Chunk.self)
                target.storeBytes(of: a, as: Chunk.self)
                target.storeBytes(of: b, toByteOffset: 16, as: Chunk.self)
                target.storeBytes(of: c, toByteOffset: count &- 32, as: Chunk.self)
                target.storeBytes(of: d, toByteOffset: count &- 16, as: Chunk.self)
            } else {
                // 16-31 bytes: [0, 16) and [count - 16, count).
                target.storeBytes(of: a, as: Chunk.self)
                target.storeBytes(of: d, toByteOffset: count &- 16, as: Chunk.self)
            }
            return
        }
        target.copyMemory(from: source, byteCount: count)
    }
}
