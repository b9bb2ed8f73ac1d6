import CMemoryHints

/// Asks the CPU, for writing, for the cache lines that hold `count` consecutive slots of a ring
/// of `entries` slots (a power of two) of `stride` bytes each, from slot `first` on, wrapping.
/// Used at the start of a batch for the descriptor and shadow lines it is about to touch: with
/// many queues busy in turn they are cold, and asking for them together overlaps the misses.
@usableFromInline @inline(__always)
func prefetchRingSlots(_ base: UnsafeMutableRawPointer, stride: Int, entries: Int, from first: Int, count: Int) {
    let mask = entries &- 1
    let step = Swift.max(1, 64 / stride)
    var i = 0
    while i < count {
        mh_prefetch_write(base + ((first &+ i) & mask) &* stride)
        i &+= step
    }
    // The last slot's line, when the slots do not start on a line boundary.
    if count > 0 { mh_prefetch_write(base + ((first &+ count &- 1) & mask) &* stride) }
}
