/// The Rx queue a burst's receive fast path writes to, taken once per queue per burst: nothing
/// outside the device runs during a burst, so the queue's depth, rings and completion queue
/// cannot change; head and tail are read and written through the queue states as they go.
///
/// The fields are plain (not behind an optional) so the fast path reads each where it uses it,
/// instead of copying the whole view out first and keeping the copy alive across the frame copy.
/// They describe the queue only when ``fast`` is set; otherwise they point at the queue table's
/// first states (real memory, never written through this view).
struct ReceiveQueueView {
    /// The Rx queue (-1: none yet).
    var index = -1
    /// Whether both rings are translated whole (the fields below hold the queue); false when a
    /// ring has no window of its own (the port gives none) or no queue was taken: the general
    /// path then takes every frame of the queue.
    var fast = false
    var descriptors: UnsafeMutableRawPointer
    var completions: UnsafeMutableRawPointer
    var submission: UnsafeMutablePointer<IOSubmissionQueueState>
    var completion: UnsafeMutablePointer<IOCompletionQueueState>
    var completionIndex = 0
    var completionSize = 0
    var descriptorMask: UInt16 = 0
    var descriptorShift: UInt16 = 0
    var completionMask: UInt16 = 0
    var completionShift: UInt16 = 0

    /// No queue: every field points into `table`'s state arrays (not used through the view).
    init(placeholder table: IOQueueTable) {
        submission = table.submission
        completion = table.completion
        descriptors = UnsafeMutableRawPointer(table.submission)
        completions = UnsafeMutableRawPointer(table.completion)
    }
}
