/// Per-queue hardware state in one fixed allocation, indexed without bounds traps,
/// copy-on-write or uniqueness checks (the frame path reads and updates it per frame).
///
/// The element count is a power of two and an index is masked into range, so a stray index
/// can never reach outside the table. The owner frees it with ``deallocate()``.
struct QueueTable<Element> {
    private let base: UnsafeMutablePointer<Element>
    /// Number of queues.
    let count: Int

    /// `count` (a power of two) copies of `initial`.
    init(count: Int, initial: Element) {
        assert(count > 0 && count & (count - 1) == 0, "queue table size must be a power of two")
        self.count = count
        base = .allocate(capacity: count)
        base.initialize(repeating: initial, count: count)
    }

    /// One element per queue, `elements[q]` for queue q (`elements.count` a power of two).
    init(_ elements: [Element]) {
        assert(elements.count > 0 && elements.count & (elements.count - 1) == 0, "queue table size must be a power of two")
        count = elements.count
        base = .allocate(capacity: count)
        _ = UnsafeMutableBufferPointer(start: base, count: count).initialize(from: elements)
    }

    /// The state of queue `q` (masked into range).
    @inline(__always) subscript(q: Int) -> Element {
        unsafeAddress { UnsafePointer(base + (q & (count - 1))) }
        nonmutating unsafeMutableAddress { base + (q & (count - 1)) }
    }

    /// Frees the storage (the owner's deinit).
    func deallocate() {
        base.deinitialize(count: count)
        base.deallocate()
    }
}
