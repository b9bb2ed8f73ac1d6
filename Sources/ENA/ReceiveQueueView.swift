/// The Rx queue a burst's receive fast path writes to, taken once per queue per burst: nothing
/// outside the device runs during a burst, so the queue's depth, rings and completion queue
/// cannot change; head and tail are read and written through the queue states as they go.
struct ReceiveQueueView {
    /// The Rx queue (-1: none yet).
    var index = -1
    /// What the fast path needs; nil when a ring has no window of its own (the port gives none)
    /// or no queue was taken: the general path then takes every frame of the queue.
    var fast: ReceiveFastQueue?
}

/// An Rx queue with both rings translated whole (``ReceiveQueueView``).
struct ReceiveFastQueue {
    let descriptors: UnsafeMutableRawPointer
    let completions: UnsafeMutableRawPointer
    let submission: UnsafeMutablePointer<IOSubmissionQueueState>
    let completion: UnsafeMutablePointer<IOCompletionQueueState>
    let completionIndex: Int
    let completionSize: Int
    let descriptorMask: UInt16
    let descriptorShift: UInt16
    let completionMask: UInt16
    let completionShift: UInt16
}
