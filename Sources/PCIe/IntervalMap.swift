/// Non-overlapping closed intervals of 64-bit addresses, each carrying a value.
///
/// Insertion rejects any overlap; lookup is a binary search. The bus routes MMIO through one.
public struct IntervalMap<Value> {
    /// One interval.
    public struct Entry {
        /// First address.
        public let start: UInt64
        /// Last address (inclusive).
        public let last: UInt64
        /// What the interval maps to.
        public let value: Value
    }

    /// Entries sorted by start.
    public private(set) var entries: [Entry] = []
    /// Changes with every insertion and removal, so a lookup result remembered with the
    /// generation it was found in is still the map's answer while the generation is the same.
    public private(set) var generation: UInt64 = 0

    /// An empty map.
    public init() {}

    /// Number of intervals.
    public var count: Int { entries.count }

    /// The entry that overlaps `[start, last]`, if any.
    public func overlapping(_ start: UInt64, _ last: UInt64) -> Entry? {
        let i = upperBound(start)
        if i > 0, entries[i - 1].last >= start { return entries[i - 1] }
        if i < entries.count, entries[i].start <= last { return entries[i] }
        return nil
    }

    /// Inserts `[start, last]`. Returns the entry it would overlap instead of inserting, if any.
    @discardableResult
    public mutating func insert(_ start: UInt64, _ last: UInt64, _ value: Value) -> Entry? {
        guard last >= start else { return nil }
        if let clash = overlapping(start, last) { return clash }
        entries.insert(Entry(start: start, last: last, value: value), at: upperBound(start))
        generation &+= 1
        return nil
    }

    /// Removes every interval whose value matches.
    public mutating func removeAll(where matches: (Value) -> Bool) {
        entries.removeAll { matches($0.value) }
        generation &+= 1
    }

    /// The entry containing `address`.
    @inlinable public func lookup(_ address: UInt64) -> Entry? {
        var lo = 0
        var hi = entries.count
        while lo < hi {
            let mid = (lo + hi) &>> 1
            if entries[mid].start <= address { lo = mid + 1 } else { hi = mid }
        }
        guard lo > 0 else { return nil }
        let e = entries[lo - 1]
        return address <= e.last ? e : nil
    }

    private func upperBound(_ address: UInt64) -> Int {
        var lo = 0
        var hi = entries.count
        while lo < hi {
            let mid = (lo + hi) &>> 1
            if entries[mid].start <= address { lo = mid + 1 } else { hi = mid }
        }
        return lo
    }
}
