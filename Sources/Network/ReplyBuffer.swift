/// Space for the replies of a far end that answers frames from inside their delivery, allocated
/// once. A reply needed while another built here is still being delivered (a NIC that transmits
/// from inside its receive path) gets a temporary buffer instead, so a nested reply never
/// overwrites a frame in flight.
final class ReplyBuffer {
    private let storage: UnsafeMutableRawBufferPointer
    private var inUse = false

    /// A buffer of `length` bytes; longer replies use temporary space.
    init(length: Int) {
        storage = .allocate(byteCount: length, alignment: 16)
    }

    deinit { storage.deallocate() }

    /// Bytes replies can take without temporary space.
    var length: Int { storage.count }

    /// Runs `body` with `length` bytes to build (and send) a reply in.
    func withSpace(_ length: Int, _ body: (UnsafeMutableRawBufferPointer) -> Void) {
        if !inUse && length <= storage.count {
            inUse = true
            defer { inUse = false }
            body(UnsafeMutableRawBufferPointer(rebasing: storage[0..<length]))
        } else {
            withUnsafeTemporaryAllocation(byteCount: length, alignment: 16) { body($0) }
        }
    }
}
