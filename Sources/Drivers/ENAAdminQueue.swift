import ENA
import PCIe

/// The driver's side of the admin submission and completion queues (`ena_com_admin_queue`):
/// 64-byte entries both ways, a free-running tail, phase bits from the lap, 12-bit command ids.
/// The memory is allocated once and zeroed by ``restart()`` after every device reset.
final class ENAAdminQueue {
    /// Entries per queue (a power of two).
    let depth: Int
    let submission: DMABuffer
    let completion: DMABuffer
    /// Free-running count of entries posted (the AQ doorbell value).
    private(set) var tail: UInt16 = 0
    /// Free-running count of completions consumed.
    private(set) var completionHead: UInt16 = 0
    private var nextCommandID: UInt16 = 0
    private let shift: UInt16

    init(access: some DeviceAccess, depth: Int) throws(DMAAllocationError) {
        self.depth = depth
        shift = UInt16(depth.trailingZeroBitCount)
        submission = try access.allocateDMA(depth * ENAAdminEntry.size)
        completion = try access.allocateDMA(depth * ENAAdminEntry.size)
    }

    /// Forgets every entry: the device starts both queues from index 0, phase 1, after a reset.
    func restart() {
        submission.host.initializeMemory(as: UInt8.self, repeating: 0)
        completion.host.initializeMemory(as: UInt8.self, repeating: 0)
        tail = 0
        completionHead = 0
    }

    /// Writes `entry` at the tail with a fresh command id and the producer phase; returns the id.
    func post(_ entry: ENAAdminEntry) -> UInt16 {
        var e = entry
        nextCommandID = (nextCommandID &+ 1) & 0xFFF
        e.commandID = nextCommandID
        let phase: UInt8 = (tail >> shift) & 1 == 0 ? ENAAdminEntry.phaseFlag : 0
        e.submissionFlags = (e.submissionFlags & ~ENAAdminEntry.phaseFlag) | phase
        if let base = submission.host.baseAddress {
            e.store(to: base + Int(tail & UInt16(depth - 1)) * ENAAdminEntry.size)
        }
        tail &+= 1
        return nextCommandID
    }

    /// The next completion if its phase says the device wrote it (consumed), else nil.
    func nextCompletion() -> ENAAdminEntry? {
        guard let base = completion.host.baseAddress else { return nil }
        let entry = ENAAdminEntry(loadingFrom: base + Int(completionHead & UInt16(depth - 1)) * ENAAdminEntry.size)
        let expected: UInt8 = (completionHead >> shift) & 1 == 0 ? 1 : 0
        guard entry.completionFlags & 1 == expected else { return nil }
        completionHead &+= 1
        return entry
    }
}

/// The driver's side of the asynchronous event queue (`ena_com_aenq`): 64-byte entries the
/// device writes with a phase bit; the head doorbell is the free-running count of entries
/// consumed plus the depth (the device may write below it).
final class ENAEventQueue {
    let depth: Int
    let memory: DMABuffer
    /// Free-running count of events consumed.
    private(set) var head: UInt16 = 0
    private let shift: UInt16

    init(access: some DeviceAccess, depth: Int) throws(DMAAllocationError) {
        self.depth = depth
        shift = UInt16(depth.trailingZeroBitCount)
        memory = try access.allocateDMA(depth * ENAAdminEntry.size)
    }

    /// Forgets every event (after a device reset).
    func restart() {
        memory.host.initializeMemory(as: UInt8.self, repeating: 0)
        head = 0
    }

    /// The AENQ_HEAD_DB value giving the device every free entry.
    var doorbell: UInt32 { UInt32(head &+ UInt16(depth)) }

    /// The next event if its phase says the device wrote it (consumed), else nil.
    func next() -> ENAAdminEntry? {
        guard let base = memory.host.baseAddress else { return nil }
        let entry = ENAAdminEntry(loadingFrom: base + Int(head & UInt16(depth - 1)) * ENAAdminEntry.size)
        let expected: UInt8 = (head >> shift) & 1 == 0 ? 1 : 0
        guard entry.load(UInt8.self, at: 4) & 1 == expected else { return nil }
        head &+= 1
        return entry
    }
}
