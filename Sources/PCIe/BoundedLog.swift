/// The most recent `capacity` elements appended, in a ring: appending is O(1) even when the
/// log is full (a guest that provokes errors in a loop must not make each one cost a copy of
/// the whole log).
public struct BoundedLog<Element> {
    private var storage: [Element] = []
    /// Index of the oldest element once the ring is full.
    private var start = 0
    /// Most elements kept.
    public let capacity: Int

    /// A log keeping up to `capacity` (at least 1) elements.
    public init(capacity: Int) { self.capacity = max(capacity, 1) }

    /// Elements kept.
    public var count: Int { storage.count }

    /// Appends `element`, dropping the oldest when full.
    public mutating func append(_ element: Element) {
        if storage.count < capacity {
            storage.append(element)
        } else {
            storage[start] = element
            start = start + 1 == capacity ? 0 : start + 1
        }
    }

    /// The kept elements, oldest first.
    public var elements: [Element] { start == 0 ? storage : Array(storage[start...] + storage[..<start]) }

    /// The newest element.
    public var last: Element? {
        guard !storage.isEmpty else { return nil }
        return storage[start == 0 ? storage.count - 1 : start - 1]
    }

    /// Forgets every element.
    public mutating func removeAll() {
        storage.removeAll()
        start = 0
    }
}
