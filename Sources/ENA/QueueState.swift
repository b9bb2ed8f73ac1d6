/// Device-side state of one IO submission queue.
struct IOSubmissionQueueState {
    var exists = false
    var isTransmit = false
    var isLowLatency = false
    /// Completion policy 1: a completion only when the first descriptor asks for one.
    var completionOnDemand = false
    /// Completion queue the queue completes to (the same index as the queue).
    var completionQueue = 0
    /// Entries (descriptors, or LLQ entries), a power of two.
    var depth: UInt16 = 0
    /// log2(depth), for the phase of a free-running counter.
    var depthShift: UInt16 = 0
    /// Host-memory ring address.
    var base: UInt64 = 0
    /// LLQ: first byte of the queue's entries in the LLQ BAR.
    var llqOffset = 0
    /// LLQ region slot taken (-1 for none).
    var llqSlot = -1
    /// Free-running count of entries the device consumed.
    var head: UInt16 = 0
    /// Free-running tail from the doorbell.
    var tail: UInt16 = 0

    /// The phase the producer writes into entry number `counter` (1 on the first lap).
    /// (`depthShift` is at most 15, so the masking shift is the plain one without its range checks.)
    @inline(__always) func phase(at counter: UInt16) -> Bool { (counter &>> depthShift) & 1 == 0 }
    /// Entries posted and not consumed.
    @inline(__always) var pending: UInt16 { tail &- head }
}

/// Device-side state of one IO completion queue.
struct IOCompletionQueueState {
    var exists = false
    var base: UInt64 = 0
    var depth: UInt16 = 0
    var depthShift: UInt16 = 0
    /// Bytes per entry (8, 16 or 32).
    var entrySize = 0
    /// Free-running count of entries written.
    var tail: UInt16 = 0
    /// Interrupt mode (CREATE_CQ `interrupt_mode_enabled`).
    var interruptMode = false
    var vector = 0
    /// The submission queue bound to this queue (-1 for none).
    var boundQueue = -1
    /// The unmask register was written since the last interrupt.
    var armed = false
    /// Completions were posted since the last interrupt.
    var unsignalled = false
    /// Moderation delay (µs) from the last unmask write for this queue's direction.
    var delay: UInt32 = 0
    /// A moderated interrupt is scheduled.
    var moderationPending = false

    /// The phase the device writes into entry number `tail`.
    @inline(__always) var phase: Bool { (tail &>> depthShift) & 1 == 0 }
}

/// Fixed storage for IO queue states: allocated once, indexed by queue index, no copy-on-write
/// or exclusivity checks on the packet path.
final class IOQueueTable {
    let count: Int
    let submission: UnsafeMutablePointer<IOSubmissionQueueState>
    let completion: UnsafeMutablePointer<IOCompletionQueueState>

    init(count: Int) {
        self.count = count
        submission = .allocate(capacity: count)
        submission.initialize(repeating: IOSubmissionQueueState(), count: count)
        completion = .allocate(capacity: count)
        completion.initialize(repeating: IOCompletionQueueState(), count: count)
    }

    deinit {
        submission.deallocate()
        completion.deallocate()
    }

    func removeAll() {
        submission.update(repeating: IOSubmissionQueueState(), count: count)
        completion.update(repeating: IOCompletionQueueState(), count: count)
    }
}

/// Admin submission and completion queue state, latched from the AQ/ACQ registers.
struct AdminQueueState {
    var configured = false
    var submissionBase: UInt64 = 0
    var submissionDepth: UInt16 = 0
    var submissionShift: UInt16 = 0
    /// Free-running count of commands consumed.
    var head: UInt16 = 0
    var completionBase: UInt64 = 0
    var completionDepth: UInt16 = 0
    var completionShift: UInt16 = 0
    var completionEntrySize = 64
    /// Free-running count of completions written.
    var completionTail: UInt16 = 0
}

/// Asynchronous event queue state.
struct EventQueueState {
    var configured = false
    var base: UInt64 = 0
    var depth: UInt16 = 0
    var shift: UInt16 = 0
    /// Free-running limit from AENQ_HEAD_DB: the device may write entries below it.
    var head: UInt16 = 0
    /// Free-running count of entries written.
    var tail: UInt16 = 0
    var enabledGroups: UInt32 = 0

    /// Entries the device may write now.
    var room: UInt16 { configured ? head &- tail : 0 }
}

/// log2 of a power of two.
@inline(__always) func log2(ofPowerOfTwo value: UInt16) -> UInt16 {
    UInt16(truncatingIfNeeded: value.trailingZeroBitCount)
}

/// Lower-case hex without prefix.
func hex<T: BinaryInteger>(_ v: T) -> String { String(v, radix: 16) }
