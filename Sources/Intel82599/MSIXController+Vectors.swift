import PCIe

extension MSIXController {
    /// Signals every vector whose bit is set in `vectors` (bit n = vector n), lowest first.
    @inline(__always) func signal(vectors: UInt64) {
        var v = vectors
        while v != 0 {
            signal(v.trailingZeroBitCount)
            v &= v - 1
        }
    }
}
