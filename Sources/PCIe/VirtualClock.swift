/// A point in virtual time, in nanoseconds since the bench started.
public struct VirtualInstant: Hashable, Comparable, Sendable, CustomStringConvertible {
    /// Nanoseconds since start.
    public let nanoseconds: UInt64
    /// Wraps a nanosecond count.
    @inlinable public init(nanoseconds: UInt64) { self.nanoseconds = nanoseconds }
    /// The instant `duration` later (saturating).
    @inlinable public func advanced(by duration: VirtualDuration) -> VirtualInstant {
        let (sum, overflow) = nanoseconds.addingReportingOverflow(duration.nanoseconds)
        return .init(nanoseconds: overflow ? .max : sum)
    }
    public var description: String { "t=\(nanoseconds)ns" }
    public static func < (lhs: Self, rhs: Self) -> Bool { lhs.nanoseconds < rhs.nanoseconds }
}

/// A span of virtual time.
public struct VirtualDuration: Hashable, Comparable, Sendable, CustomStringConvertible {
    /// Length in nanoseconds.
    public let nanoseconds: UInt64
    /// Wraps a nanosecond count.
    @inlinable public init(nanoseconds: UInt64) { self.nanoseconds = nanoseconds }
    /// Microseconds.
    @inlinable public static func microseconds(_ n: UInt64) -> Self { .init(nanoseconds: n &* 1_000) }
    /// Milliseconds.
    @inlinable public static func milliseconds(_ n: UInt64) -> Self { .init(nanoseconds: n &* 1_000_000) }
    /// Seconds.
    @inlinable public static func seconds(_ n: UInt64) -> Self { .init(nanoseconds: n &* 1_000_000_000) }
    public var description: String { "\(nanoseconds)ns" }
    public static func < (lhs: Self, rhs: Self) -> Bool { lhs.nanoseconds < rhs.nanoseconds }
}

/// The deterministic clock devices, drivers and tests share.
///
/// Time moves only when someone advances it. Timers fire in deadline order, ties in the order
/// they were scheduled, so the same calls always give the same trace.
public final class VirtualClock {
    /// Identifies a scheduled timer so it can be cancelled.
    public struct TimerID: Hashable, Sendable {
        let raw: UInt64
    }

    private struct Timer {
        let deadline: VirtualInstant
        let id: TimerID
        let action: () -> Void
    }

    // Unchecked exclusivity: no access to these spans a call out of the clock (a timer's action
    // runs after its entry is removed), and the dynamic checks were a tenth of a timer's cost.
    /// The current virtual time.
    @exclusivity(unchecked) public private(set) var now = VirtualInstant(nanoseconds: 0)
    @exclusivity(unchecked) private var timers: [Timer] = []
    @exclusivity(unchecked) private var nextID: UInt64 = 0

    /// A clock at time zero.
    public init() {}

    /// Runs `action` when the clock reaches `now + delay`.
    @discardableResult
    public func schedule(after delay: VirtualDuration, _ action: @escaping () -> Void) -> TimerID {
        nextID &+= 1
        let timer = Timer(deadline: now.advanced(by: delay), id: TimerID(raw: nextID), action: action)
        // Keep sorted by deadline, FIFO among equals: insert after the last timer not later.
        var lo = 0
        var hi = timers.count
        while lo < hi {
            let mid = (lo + hi) / 2
            if timers[mid].deadline <= timer.deadline { lo = mid + 1 } else { hi = mid }
        }
        timers.insert(timer, at: lo)
        return timer.id
    }

    /// Cancels a timer that has not fired. Returns whether it was pending.
    @discardableResult
    public func cancel(_ id: TimerID) -> Bool {
        guard let i = timers.firstIndex(where: { $0.id == id }) else { return false }
        timers.remove(at: i)
        return true
    }

    /// The deadline of the earliest pending timer.
    public var nextDeadline: VirtualInstant? { timers.first?.deadline }

    /// Number of timers pending.
    public var pendingTimers: Int { timers.count }

    /// Moves time forward by `duration`, firing every timer that falls due on the way.
    public func advance(by duration: VirtualDuration) {
        advance(to: now.advanced(by: duration))
    }

    /// Moves time forward to `deadline` (never backwards), firing timers due on the way.
    public func advance(to deadline: VirtualInstant) {
        while let first = timers.first, first.deadline <= deadline {
            timers.removeFirst()
            if first.deadline > now { now = first.deadline }
            first.action()
        }
        if deadline > now { now = deadline }
    }

    /// Fires the earliest timer, moving time to its deadline. Returns false if none is pending.
    @discardableResult
    public func runNextTimer() -> Bool {
        guard let first = timers.first else { return false }
        advance(to: first.deadline)
        return true
    }
}
