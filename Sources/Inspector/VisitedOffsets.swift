/// The config-space offsets a capability walk has visited, so a chain that loops back ends
/// with lspci's "<chain looped>" instead of going round for ever.
///
/// One bit per byte offset of the 4 KiB space, in place: a walk of a handful of capabilities
/// allocates nothing (a `Set<Int>` allocated and hashed per listing). Offsets outside the space
/// (a config image longer than 4 KiB) go to a set.
struct VisitedOffsets {
    private var bits = InlineArray<64, UInt64>(repeating: 0)
    private var beyond: Set<Int> = []

    /// Records `offset`; false when it was recorded before.
    mutating func insert(_ offset: Int) -> Bool {
        guard offset >= 0, offset < 4096 else { return beyond.insert(offset).inserted }
        let word = offset >> 6
        let bit: UInt64 = 1 << UInt64(offset & 63)
        guard bits[word] & bit == 0 else { return false }
        bits[word] |= bit
        return true
    }
}
