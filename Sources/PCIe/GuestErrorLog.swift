/// What kind of guest misbehaviour was seen.
public enum GuestErrorKind: String, Sendable, CaseIterable {
    /// A config access out of range or misaligned.
    case badConfigAccess
    /// A write to bits the spec makes read-only (recorded only where it signals a driver bug).
    case readOnlyWrite
    /// A BAR programmed so it overlaps another window; it is not decoded.
    case barOverlap
    /// An MMIO access to an address no BAR decodes.
    case unmappedMMIO
    /// An MMIO access of a width or alignment the register does not support.
    case badMMIOAccess
    /// SR-IOV programming the spec forbids (NumVFs above TotalVFs, ...).
    case badSRIOVProgramming
    /// A device-specific error (bad descriptor, bad command) a model reports.
    case device
}

/// One recorded guest error, with enough context to find the driver bug.
public struct GuestError: Sendable, Equatable, CustomStringConvertible {
    /// The function the access targeted, if any.
    public let function: BDF?
    /// Category.
    public let kind: GuestErrorKind
    /// What happened, with register names and values.
    public let detail: String
    /// Virtual time of the access.
    public let time: VirtualInstant

    /// Creates an entry.
    public init(function: BDF?, kind: GuestErrorKind, detail: String, time: VirtualInstant) {
        self.function = function
        self.kind = kind
        self.detail = detail
        self.time = time
    }

    public var description: String {
        "\(time) \(function.map { $0.description } ?? "--:--.-") \(kind.rawValue): \(detail)"
    }
}

/// A bounded log of guest errors: keeps the most recent entries and counts all of them.
public final class GuestErrorLog {
    /// Most recent entries, oldest first (at most `capacity`).
    public var entries: [GuestError] { log.elements }
    private var log: BoundedLog<GuestError>
    /// Total errors ever recorded, per kind.
    public private(set) var counts: [GuestErrorKind: Int] = [:]
    /// How many entries are kept.
    public let capacity: Int

    /// A log keeping up to `capacity` entries.
    public init(capacity: Int = 1024) {
        self.capacity = max(capacity, 1)
        log = BoundedLog(capacity: capacity)
    }

    /// Total errors ever recorded.
    public var total: Int { counts.values.reduce(0, +) }

    /// Records an error.
    public func record(_ error: GuestError) {
        counts[error.kind, default: 0] += 1
        log.append(error)
    }

    /// Forgets all entries and counts.
    public func clear() {
        log.removeAll()
        counts.removeAll()
    }
}
