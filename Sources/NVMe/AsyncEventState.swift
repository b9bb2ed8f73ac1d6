/// Outstanding Asynchronous Event Request commands and the events waiting for them
/// (NVMe Base §5.2).
///
/// An event type reported to the host is masked until the host reads the log page the event named
/// with Retain Asynchronous Event clear; events of a masked type wait. At most
/// ``pendingLimit`` distinct events wait; more of the same kind are merged.
struct AsyncEventState {
    /// Command ids of outstanding requests, oldest first.
    var outstanding: [UInt16] = []
    /// Events not yet reported, oldest first.
    var pending: [AsyncEvent] = []
    /// Per event type (bit n = type n): reported and not yet cleared by reading its log page.
    var maskedTypes: UInt8 = 0
    /// Events that could not be queued because ``pending`` was full.
    var dropped: UInt64 = 0

    /// Most events that wait.
    static let pendingLimit = 16

    /// Queues `event` unless the same one already waits.
    mutating func post(_ event: AsyncEvent) {
        guard !pending.contains(event) else { return }
        guard pending.count < Self.pendingLimit else {
            dropped &+= 1
            return
        }
        pending.append(event)
    }

    /// The first waiting event whose type is not masked, removed from the queue.
    mutating func takeDeliverable() -> AsyncEvent? {
        guard let i = pending.firstIndex(where: { maskedTypes & (1 << ($0.type & 7)) == 0 }) else { return nil }
        let event = pending.remove(at: i)
        maskedTypes |= 1 << (event.type & 7)
        return event
    }

    /// Whether an event could complete a request now.
    var canDeliver: Bool {
        !pending.isEmpty && !outstanding.isEmpty && pending.contains { maskedTypes & (1 << ($0.type & 7)) == 0 }
    }

    /// The host read `logPage` without Retain Asynchronous Event: unmask the types it clears.
    mutating func logPageRead(_ logPage: UInt8) {
        for type in 0..<8 where Self.logPage(ofType: UInt8(type)) == logPage { maskedTypes &= ~(1 << type) }
    }

    /// The log page that clears events of `type`.
    static func logPage(ofType type: UInt8) -> UInt8 {
        switch type {
        case AsyncEvent.typeError: LogPageID.errorInformation.rawValue
        case AsyncEvent.typeSMART: LogPageID.smartHealth.rawValue
        case AsyncEvent.typeIOCommandSpecific: LogPageID.sanitizeStatus.rawValue
        default: 0xFF
        }
    }
}
