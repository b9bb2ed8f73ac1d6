import PCIe

/// Controller-side state of one submission queue (admin queue 0 or an I/O queue).
struct SubmissionQueueState {
    /// Created (I/O) or set up at enable (admin).
    var exists = false
    /// Device address of entry 0.
    var base: UInt64 = 0
    /// Number of entries.
    var entries: UInt32 = 0
    /// Next entry the controller fetches.
    var head: UInt32 = 0
    /// One past the last entry the host posted (SQ tail doorbell).
    var tail: UInt32 = 0
    /// The completion queue its commands complete to.
    var completionQueue: UInt16 = 0
    /// QPRIO from Create I/O SQ (recorded; arbitration is round robin).
    var priority: UInt8 = 0
    /// The ring's translation while ``ringStamp`` holds (see `submissionRing(_:)`).
    var ring = DMAWindow()
    /// The DMA port's translation stamp when ``ring`` was taken.
    var ringStamp = DMATranslationStamp.never
}

/// Controller-side state of one completion queue.
struct CompletionQueueState {
    /// Created (I/O) or set up at enable (admin).
    var exists = false
    /// Device address of entry 0.
    var base: UInt64 = 0
    /// Number of entries.
    var entries: UInt32 = 0
    /// Next entry the host consumes (CQ head doorbell).
    var head: UInt32 = 0
    /// Next entry the controller writes.
    var tail: UInt32 = 0
    /// Phase tag the controller writes on this pass (1 on the first).
    var phase = true
    /// IEN: signal `vector` after posting.
    var interruptsEnabled = false
    /// MSI-X vector.
    var vector: UInt16 = 0
    /// Submission queues completing here (deletion order check).
    var attachedSubmissionQueues = 0
    /// A submission queue stopped fetching because this queue was full; resume on the head doorbell.
    var stalled = false
    /// Entries posted since the last interrupt.
    var needsInterrupt = false
    /// The ring's translation while ``ringStamp`` holds (see `completionRing(_:)`).
    var ring = DMAWindow()
    /// The DMA port's translation stamp when ``ring`` was taken.
    var ringStamp = DMATranslationStamp.never

    /// Whether one more entry would overwrite one the host has not consumed.
    @inline(__always) var isFull: Bool { (tail &+ 1 == entries ? 0 : tail &+ 1) == head }
    /// Entries posted and not yet consumed.
    var outstanding: UInt32 { tail >= head ? tail - head : entries - head + tail }
    /// Whether `n` more entries can be posted without overwriting one the host has not consumed.
    @inline(__always) func hasRoom(for n: UInt32) -> Bool { outstanding &+ n < entries }
}

/// Fixed storage for the queue states of a controller: allocated once, indexed by queue id, no
/// copy-on-write or exclusivity checks on the command path.
final class QueueTable {
    /// Queue ids 0...count-1 exist in the table.
    let count: Int
    let submission: UnsafeMutablePointer<SubmissionQueueState>
    let completion: UnsafeMutablePointer<CompletionQueueState>

    init(count: Int) {
        self.count = count
        submission = .allocate(capacity: count)
        submission.initialize(repeating: SubmissionQueueState(), count: count)
        completion = .allocate(capacity: count)
        completion.initialize(repeating: CompletionQueueState(), count: count)
    }

    deinit {
        submission.deallocate()
        completion.deallocate()
    }

    /// Deletes every queue.
    func removeAll() {
        submission.update(repeating: SubmissionQueueState(), count: count)
        completion.update(repeating: CompletionQueueState(), count: count)
    }
}
