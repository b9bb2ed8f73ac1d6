import PCIe

extension NVMeController {
    /// A write at BAR0 + 0x1000 + `offset`: SQ y tail at 2y * 4, CQ y head at (2y + 1) * 4
    /// (CAP.DSTRD = 0). Doorbells before RDY, to queues that do not exist, or with values beyond
    /// the queue are recorded and ignored; the two invalid cases also raise the error event the
    /// spec defines when an Asynchronous Event Request is outstanding.
    @inline(__always)
    func doorbellWritten(_ offset: UInt64, width: AccessWidth, value: UInt64) {
        guard width == .dword, offset & 3 == 0 else {
            report(.badMMIOAccess, "\(width.rawValue)-byte doorbell write at BAR0+0x\(hex(offset + 0x1000)); dropped")
            return
        }
        let index = Int(truncatingIfNeeded: offset >> 2)
        let qid = index >> 1
        guard processing else {
            counters.ignoredDoorbells &+= 1
            report(.device, "doorbell \(doorbellName(index)) written while the controller is not ready; ignored")
            return
        }
        let v = UInt32(truncatingIfNeeded: value)
        if index & 1 == 0 {
            submissionTailWritten(qid, v)
        } else {
            completionHeadWritten(qid, v)
        }
        if events.canDeliver { deliverEvents() }
    }

    private func doorbellName(_ index: Int) -> String { "\(index & 1 == 0 ? "SQ" : "CQ")\(index >> 1)" }

    private func invalidDoorbell(_ index: Int, _ event: AsyncEvent, _ why: String) {
        counters.ignoredDoorbells &+= 1
        report(.device, "doorbell \(doorbellName(index)): \(why); ignored")
        if !events.outstanding.isEmpty { events.post(event) }
    }

    @inline(__always)
    private func submissionTailWritten(_ qid: Int, _ tail: UInt32) {
        guard qid < queues.count, queues.submission[qid].exists else {
            invalidDoorbell(qid * 2, .invalidDoorbellRegister, "no such submission queue")
            return
        }
        let sq = queues.submission + qid
        guard tail < sq.pointee.entries else {
            invalidDoorbell(qid * 2, .invalidDoorbellValue, "tail \(tail) beyond \(sq.pointee.entries) entries")
            return
        }
        sq.pointee.tail = tail
        let cq = Int(sq.pointee.completionQueue)
        runSubmissionQueue(qid)
        signalIfNeeded(cq)
    }

    private func completionHeadWritten(_ qid: Int, _ head: UInt32) {
        guard qid < queues.count, queues.completion[qid].exists else {
            invalidDoorbell(qid * 2 + 1, .invalidDoorbellRegister, "no such completion queue")
            return
        }
        let cq = queues.completion + qid
        let entries = cq.pointee.entries
        let consumed = head >= cq.pointee.head ? head - cq.pointee.head : entries - cq.pointee.head + head
        guard head < entries, consumed <= cq.pointee.outstanding else {
            invalidDoorbell(
                qid * 2 + 1, .invalidDoorbellValue,
                "head \(head) is not between head \(cq.pointee.head) and tail \(cq.pointee.tail) of \(entries) entries")
            return
        }
        cq.pointee.head = head
        guard cq.pointee.stalled else { return }
        cq.pointee.stalled = false
        for sq in 0..<queues.count where queues.submission[sq].exists && Int(queues.submission[sq].completionQueue) == qid {
            runSubmissionQueue(sq)
        }
        signalIfNeeded(qid)
    }

    /// Fetches and runs the commands of submission queue `qid` from head to tail (at most one
    /// lap), posting each completion before fetching the next. Stops early when the completion
    /// queue is full (resumed by its head doorbell) or the controller stops processing.
    ///
    /// On an I/O queue the controller fetches one entry ahead, as real controllers fetch
    /// submission entries in bursts: while a command runs, the next one the host has published is
    /// already fetched and the store memory of its first blocks is prefetched, so the cache misses
    /// of a random LBA overlap with the current command's copy or cipher. The look-ahead happens
    /// only when the next entry will certainly be run (budget left, room for two completions), and
    /// an I/O command cannot change the queues or the IOMMU, so the entry is the one a fetch at its
    /// turn would have read; a failed look-ahead fetch is fatal at its turn, as before.
    ///
    /// Both rings are translated once (``submissionRing(_:)``, ``completionRing(_:)``): nothing a
    /// command does changes the IOMMU domain, guest memory or bus mastering, so the windows hold
    /// for the whole run. The same goes for the data windows ``DataTransfer`` keeps, which are
    /// checked here once per run.
    func runSubmissionQueue(_ qid: Int) {
        let sq = queues.submission + qid
        let cqid = Int(sq.pointee.completionQueue)
        let cq = queues.completion + cqid
        let ring = submissionRing(sq)
        let completionRing = completionRing(cq)
        transfer.dropStaleWindows()
        var budget = sq.pointee.entries
        var ahead = FetchAhead.none
        while processing, sq.pointee.exists, sq.pointee.head != sq.pointee.tail, budget > 0 {
            guard !cq.pointee.isFull else {
                cq.pointee.stalled = true
                counters.completionQueueFullStalls &+= 1
                return
            }
            budget -= 1
            let head = sq.pointee.head
            let entry: SubmissionEntry
            switch ahead {
            case .entry(let fetched): entry = fetched
            case .failed:
                fetchFailed(qid, head)
                return
            case .none:
                guard let fetched = fetchEntry(sq, head, ring) else {
                    fetchFailed(qid, head)
                    return
                }
                if qid != 0 { prefetchData(of: fetched) }
                entry = fetched
            }
            ahead = .none
            let next = head &+ 1 == sq.pointee.entries ? 0 : head &+ 1
            sq.pointee.head = next
            if qid == 0 {
                if let result = executeAdmin(entry) {
                    post(result, for: entry, submissionQueue: 0, completionQueue: 0, ring: completionRing)
                }
            } else {
                if next != sq.pointee.tail, budget > 0, cq.pointee.hasRoom(for: 2) {
                    if let fetched = fetchEntry(sq, next, ring) {
                        prefetchData(of: fetched)
                        ahead = .entry(fetched)
                    } else {
                        ahead = .failed
                    }
                }
                let result = executeIO(entry)
                post(result, for: entry, submissionQueue: qid, completionQueue: cqid, ring: completionRing)
            }
        }
    }

    /// What ``runSubmissionQueue(_:)`` fetched ahead of the command it runs.
    private enum FetchAhead {
        case none
        case entry(SubmissionEntry)
        /// The fetch faulted (already recorded by the DMA port); fatal when the entry's turn comes.
        case failed
    }

    /// The translation of submission queue `sq`'s ring, kept in the queue's state with the port's
    /// translation stamp and taken again only when that no longer holds (a map or unmap, a removed
    /// guest memory region, bus mastering off). Empty when the ring does not lie in one mapping and
    /// one region the controller may read: entries are then translated one at a time, and a fault
    /// is recorded by that translation.
    @inline(__always)
    func submissionRing(_ sq: UnsafeMutablePointer<SubmissionQueueState>) -> DMAWindow {
        guard !dma.holds(sq.pointee.ringStamp) else { return sq.pointee.ring }
        let length = UInt64(sq.pointee.entries) &* UInt64(SubmissionEntry.size)
        (sq.pointee.ring, sq.pointee.ringStamp) = ringWindow(sq.pointee.base, length: length, access: .read)
        return sq.pointee.ring
    }

    /// The translation of completion queue `cq`'s ring (written by the controller); see
    /// ``submissionRing(_:)``.
    @inline(__always)
    func completionRing(_ cq: UnsafeMutablePointer<CompletionQueueState>) -> DMAWindow {
        guard !dma.holds(cq.pointee.ringStamp) else { return cq.pointee.ring }
        let length = UInt64(cq.pointee.entries) &* UInt64(CompletionEntry.size)
        (cq.pointee.ring, cq.pointee.ringStamp) = ringWindow(cq.pointee.base, length: length, access: .write)
        return cq.pointee.ring
    }

    /// A window over `length` bytes at `base` with the stamp it holds under, or the empty window
    /// with a stamp that never holds (so the next doorbell tries again).
    private func ringWindow(_ base: UInt64, length: UInt64, access: DMAAccess) -> (DMAWindow, DMATranslationStamp) {
        guard let window = dma.window(covering: IOVA(base), length: length, access: access) else {
            return (DMAWindow(), .never)
        }
        return (window, dma.translationStamp)
    }

    /// Copies entry `index` of submission queue `sq` out of guest memory, through `ring` when it
    /// holds the entry; nil when the IOMMU refuses the read (the DMA port records the fault).
    @inline(__always)
    private func fetchEntry(_ sq: UnsafeMutablePointer<SubmissionQueueState>, _ index: UInt32, _ ring: DMAWindow)
        -> SubmissionEntry?
    {
        let address = sq.pointee.base &+ UInt64(index) &* UInt64(SubmissionEntry.size)
        if let slot = ring.pointer(address, length: UInt64(SubmissionEntry.size)) {
            return SubmissionEntry(loadingFrom: slot)
        }
        guard let slot = try? dma.hostPointer(IOVA(address), length: UInt64(SubmissionEntry.size), access: .read) else {
            return nil
        }
        return SubmissionEntry(loadingFrom: slot)
    }

    private func fetchFailed(_ qid: Int, _ index: UInt32) {
        let address = queues.submission[qid].base &+ UInt64(index) &* 64
        controllerFatal("cannot fetch SQ\(qid) entry \(index) at 0x\(hex(address))")
    }

    /// Writes the completion of `entry` to completion queue `cqid` (which has room) and flips the
    /// phase at the end of the queue, through `ring` (the queue's ``completionRing(_:)``, still
    /// holding) when it covers the slot. A completion queue the controller cannot write is fatal.
    @inline(__always)
    func post(
        _ result: CommandResult, for entry: SubmissionEntry, submissionQueue sqid: Int, completionQueue cqid: Int,
        ring: DMAWindow
    ) {
        let cq = queues.completion + cqid
        guard cq.pointee.exists else { return }
        let tail = cq.pointee.tail
        let size = UInt64(CompletionEntry.size)
        let address = cq.pointee.base &+ UInt64(tail) &* size
        guard
            let slot = ring.pointer(address, length: size)
                ?? (try? dma.hostPointer(IOVA(address), length: size, access: .write))
        else {
            controllerFatal("cannot write CQ\(cqid) entry \(tail) at 0x\(hex(address))")
            return
        }
        let completion = CompletionEntry(
            dword0: result.dword0, submissionQueueHead: UInt16(truncatingIfNeeded: queues.submission[sqid].head),
            submissionQueueID: UInt16(truncatingIfNeeded: sqid), commandID: entry.commandID, phase: cq.pointee.phase,
            status: result.status)
        completion.store(to: slot)
        if tail &+ 1 == cq.pointee.entries {
            cq.pointee.tail = 0
            cq.pointee.phase.toggle()
        } else {
            cq.pointee.tail = tail &+ 1
        }
        cq.pointee.needsInterrupt = true
        if !result.status.isSuccess { recordError(result.status, entry, sqid) }
    }

    private func recordError(_ status: NVMeStatus, _ entry: SubmissionEntry, _ sqid: Int) {
        counters.errorCompletions &+= 1
        let lba = sqid != 0 ? entry.startingLBA : 0
        errorLog.record(
            sq: UInt16(truncatingIfNeeded: sqid), cid: entry.commandID, status: status, lba: lba, nsid: entry.namespaceID)
    }

    /// Signals the vector of completion queue `cqid` once for everything posted since the last
    /// signal (one message per doorbell; Interrupt Coalescing settings are recorded only).
    @inline(__always)
    func signalIfNeeded(_ cqid: Int) {
        let cq = queues.completion + cqid
        guard cq.pointee.needsInterrupt else { return }
        cq.pointee.needsInterrupt = false
        guard cq.pointee.interruptsEnabled, let msix else { return }
        counters.interrupts &+= 1
        msix.signal(Int(cq.pointee.vector))
    }

    /// Completes outstanding Asynchronous Event Requests with waiting events while the admin
    /// completion queue has room.
    func deliverEvents() {
        guard queues.completion[0].exists else { return }
        let ring = completionRing(queues.completion)
        while !events.outstanding.isEmpty, !queues.completion[0].isFull, processing, let event = events.takeDeliverable() {
            var entry = SubmissionEntry()
            entry.setHeader(opcode: AdminOpcode.asyncEventRequest.rawValue, commandID: events.outstanding.removeFirst())
            post(.success(event.dword0), for: entry, submissionQueue: 0, completionQueue: 0, ring: ring)
        }
        signalIfNeeded(0)
    }
}
