/// The Rx queue a burst's receive fast path writes to, taken once per queue per burst: nothing
/// outside the device runs during a burst, so the queue's depth, rings and completion queue
/// cannot change; head and tail are read and written through the queue states as they go.
struct ReceiveQueueView {
    /// The Rx queue (-1: none yet).
    var index = -1
    var submission: UnsafeMutablePointer<IOSubmissionQueueState>?
    var completion: UnsafeMutablePointer<IOCompletionQueueState>?
    var completionIndex = 0
    /// The descriptor and completion rings, each translated whole; nil when the port gives no
    /// window for it (or no queue state was taken): the general path then takes every frame.
    var descriptors: UnsafeMutableRawPointer?
    var completions: UnsafeMutableRawPointer?
    var descriptorMask: UInt16 = 0
    var descriptorShift: UInt16 = 0
    var completionMask: UInt16 = 0
    var completionShift: UInt16 = 0
    var completionSize = 0
}
