import NVMe
import PCIe

/// A submission/completion queue pair the suites drive by hand: entries written into DMA memory,
/// doorbells written by the fixture, completions recognised by their phase tag.
final class NVMeRawQueue {
    /// Queue identifier (0: admin).
    let id: Int
    /// Entries of each ring.
    let entries: Int
    /// Submission ring.
    let sq: DMABuffer
    /// Completion ring.
    let cq: DMABuffer
    /// Host's SQ tail (next slot to fill).
    var tail = 0
    /// Host's CQ head (next completion to consume).
    var head = 0
    /// Phase tag of the completions expected at `head`.
    var phase = true
    private var nextCommandID: UInt16 = 0x100

    /// Allocates rings of `entries` entries, each page aligned.
    init(id: Int, entries: Int, access: BusDeviceAccess) throws(DMAAllocationError) {
        self.id = id
        self.entries = entries
        sq = try access.allocateDMA(max(entries * SubmissionEntry.size, 4096))
        cq = try access.allocateDMA(max(entries * CompletionEntry.size, 4096))
    }

    /// Empty rings, pointers at 0, phase 1.
    func clear() {
        sq.host.initializeMemory(as: UInt8.self, repeating: 0)
        cq.host.initializeMemory(as: UInt8.self, repeating: 0)
        tail = 0
        head = 0
        phase = true
    }

    /// Writes `entry` at the tail with a fresh command identifier; returns the identifier.
    @discardableResult
    func post(_ entry: SubmissionEntry) -> UInt16 {
        var e = entry
        let cid = nextCommandID
        nextCommandID = nextCommandID &+ 1 == 0xFFFF ? 0x100 : nextCommandID &+ 1
        e[dword: 0] = e[dword: 0] & 0xFFFF | UInt32(cid) << 16
        if let base = sq.host.baseAddress { e.store(to: base + tail * SubmissionEntry.size) }
        tail = (tail + 1) % entries
        return cid
    }

    /// The completion entry in slot `index` as it sits in memory.
    func completion(at index: Int) -> CompletionEntry? {
        guard let base = cq.host.baseAddress, index >= 0, index < entries else { return nil }
        return CompletionEntry(loadingFrom: base + index * CompletionEntry.size)
    }

    /// Consumes the completion at the head if its phase tag says it is new.
    func takeCompletion() -> CompletionEntry? {
        guard let c = completion(at: head), c.phase == phase else { return nil }
        head += 1
        if head == entries {
            head = 0
            phase.toggle()
        }
        return c
    }
}

extension NVMeFixture {
    /// Writes `queue`'s SQ tail doorbell.
    func ring(_ queue: NVMeRawQueue) { write32(submissionDoorbell(queue.id), UInt32(queue.tail)) }
    /// Writes `queue`'s CQ head doorbell.
    func acknowledge(_ queue: NVMeRawQueue) { write32(completionDoorbell(queue.id), UInt32(queue.head)) }

    /// Posts `entry`, rings, waits for its completion (other completions are consumed and
    /// dropped) and acknowledges it; nil if none arrives within ``commandTimeout``.
    @discardableResult
    func execute(_ entry: SubmissionEntry, on queue: NVMeRawQueue) -> CompletionEntry? {
        let cid = queue.post(entry)
        ring(queue)
        return awaitCompletion(cid, on: queue)
    }

    /// Waits for the completion of command `cid` (consuming and dropping others) and
    /// acknowledges what was consumed; nil if none arrives within ``commandTimeout``.
    func awaitCompletion(_ cid: UInt16, on queue: NVMeRawQueue) -> CompletionEntry? {
        var found: CompletionEntry?
        var consumed = false
        _ = poll(timeout: Self.commandTimeout) {
            while found == nil, let c = queue.takeCompletion() {
                consumed = true
                if c.commandID == cid { found = c }
            }
            return found != nil
        }
        if consumed { acknowledge(queue) }
        return found
    }

    /// An admin command with `dwords` (index: value) set; returns its completion.
    @discardableResult
    func admin(
        _ opcode: UInt8, on queue: NVMeRawQueue, nsid: UInt32 = 0, prp1: UInt64 = 0, prp2: UInt64 = 0,
        _ dwords: [Int: UInt32] = [:]
    ) -> CompletionEntry? {
        execute(Self.command(opcode, nsid: nsid, prp1: prp1, prp2: prp2, dwords), on: queue)
    }

    /// A submission entry with opcode, NSID, PRP1/PRP2 and the given dwords.
    static func command(
        _ opcode: UInt8, nsid: UInt32 = 0, prp1: UInt64 = 0, prp2: UInt64 = 0, _ dwords: [Int: UInt32] = [:]
    ) -> SubmissionEntry {
        var e = SubmissionEntry()
        e.setHeader(opcode: opcode, commandID: 0)
        e[dword: 1] = nsid
        e[dword: 6] = UInt32(truncatingIfNeeded: prp1)
        e[dword: 7] = UInt32(truncatingIfNeeded: prp1 >> 32)
        e[dword: 8] = UInt32(truncatingIfNeeded: prp2)
        e[dword: 9] = UInt32(truncatingIfNeeded: prp2 >> 32)
        for (i, v) in dwords { e[dword: i] = v }
        return e
    }

    /// A Read, Write or Compare of `blocks` blocks at `lba` of namespace 1.
    static func blockCommand(
        _ opcode: NVMOpcode, lba: UInt64, blocks: Int, prp1: UInt64, prp2: UInt64 = 0, nsid: UInt32 = 1, cdw12: UInt32 = 0
    ) -> SubmissionEntry {
        command(
            opcode.rawValue, nsid: nsid, prp1: prp1, prp2: prp2,
            [10: UInt32(truncatingIfNeeded: lba), 11: UInt32(truncatingIfNeeded: lba >> 32), 12: UInt32(blocks - 1) | cdw12])
    }

    /// Checks `completion` has status `expected` (type and code); says what `what` got otherwise.
    func expectStatus(_ r: inout CheckRecorder, _ completion: CompletionEntry?, _ expected: NVMeStatus, _ what: String) {
        guard let c = completion else {
            r.expect(false, "\(what): no completion (expected \(expected))")
            return
        }
        r.expect(
            c.status.type == expected.type && c.status.code == expected.code,
            "\(what): status \(c.status), expected \(expected)")
    }

    // MARK: Setups

    /// Number of Queues granted after asking for `wanted` pairs: min(NSQA, NCQA) + 1, or nil.
    func numberOfQueues(_ admin: NVMeRawQueue, wanted: Int, _ r: inout CheckRecorder) -> Int? {
        let n = UInt32(wanted - 1)
        let c = self.admin(AdminOpcode.setFeatures.rawValue, on: admin, [10: 0x07, 11: n << 16 | n])
        guard let c, c.status.isSuccess else {
            r.expect(false, "Set Features Number of Queues: \(c.map { "\($0.status)" } ?? "no completion")")
            return nil
        }
        return Int(min(c.dword0 & 0xFFFF, c.dword0 >> 16)) + 1
    }

    /// Create I/O CQ `qid` (contiguous) of `queue`'s size with `vector`; its completion.
    func createCompletionQueue(
        _ admin: NVMeRawQueue, _ queue: NVMeRawQueue, vector: Int = 0, interrupts: Bool = false
    ) -> CompletionEntry? {
        let cdw11 = UInt32(vector) << 16 | (interrupts ? 2 : 0) | 1
        return self.admin(
            AdminOpcode.createIOCQ.rawValue, on: admin, prp1: queue.cq.deviceAddress.value,
            [10: UInt32(queue.entries - 1) << 16 | UInt32(queue.id), 11: cdw11])
    }

    /// Create I/O SQ `queue.id` (contiguous) completing to `cqid`; its completion.
    func createSubmissionQueue(_ admin: NVMeRawQueue, _ queue: NVMeRawQueue, cqid: Int) -> CompletionEntry? {
        self.admin(
            AdminOpcode.createIOSQ.rawValue, on: admin, prp1: queue.sq.deviceAddress.value,
            [10: UInt32(queue.entries - 1) << 16 | UInt32(queue.id), 11: UInt32(cqid) << 16 | 1])
    }

    /// Enables the controller and creates I/O queue pair 1 (`entries` entries, vector `vector`);
    /// the admin and I/O queues, or nil with a failure.
    func ioSetup(
        _ r: inout CheckRecorder, entries: Int = 16, vector: Int = 0, interrupts: Bool = false
    ) -> (admin: NVMeRawQueue, io: NVMeRawQueue)? {
        guard let admin = enable(&r), numberOfQueues(admin, wanted: 1, &r) != nil,
            let io = queue(1, entries: entries, &r)
        else { return nil }
        let cq = createCompletionQueue(admin, io, vector: vector, interrupts: interrupts)
        let sq = createSubmissionQueue(admin, io, cqid: 1)
        guard let cq, cq.status.isSuccess, let sq, sq.status.isSuccess else {
            r.expect(
                false, "creating I/O queue pair 1: CQ \(cq.map { "\($0.status)" } ?? "-"), SQ \(sq.map { "\($0.status)" } ?? "-")"
            )
            return nil
        }
        return (admin, io)
    }
}

extension DMABuffer {
    /// Fills `count` bytes from `offset` with a pattern derived from `seed`; returns them.
    @discardableResult
    func fillPattern(seed: UInt64, offset: Int = 0, count: Int? = nil) -> [UInt8] {
        let n = count ?? (self.count - offset)
        var x = seed &* 0x9E37_79B9_7F4A_7C15 | 1
        var out = [UInt8](repeating: 0, count: n)
        for i in 0..<n {
            x ^= x << 13
            x ^= x >> 7
            x ^= x << 17
            out[i] = UInt8(truncatingIfNeeded: x)
            host[offset + i] = out[i]
        }
        return out
    }

    /// Sets `count` bytes from `offset` to `value`.
    func set(_ value: UInt8, offset: Int = 0, count: Int? = nil) {
        let n = count ?? (self.count - offset)
        for i in offset..<(offset + n) { host[i] = value }
    }

    /// Copies `count` bytes from `offset`.
    func bytes(offset: Int = 0, count: Int) -> [UInt8] { Array(host[offset..<(offset + count)]) }

    /// Device address of byte `offset` as a number.
    func address(_ offset: Int = 0) -> UInt64 { deviceAddress.value &+ UInt64(offset) }
}
