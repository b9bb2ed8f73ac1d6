import PCIe
import RegisterModel

extension NVMeController {
    /// Create I/O Completion Queue (NVMe Base §5.3).
    func createCompletionQueue(_ e: SubmissionEntry) -> CommandResult {
        let qid = Int(e.cdw10 & 0xFFFF)
        let entries = (e.cdw10 >> 16) + 1
        let contiguous = e.cdw11 & 1 != 0
        let interruptsEnabled = e.cdw11 & 2 != 0
        let vector = UInt16(truncatingIfNeeded: e.cdw11 >> 16)
        guard checkEntrySizes(completion: true) else { return CommandResult(.invalidField) }
        guard qid != 0, qid <= grantedIOQueues, !queues.completion[qid].exists else {
            return reject(.invalidQueueIdentifier, e, "CQ id \(qid) is 0, beyond \(grantedIOQueues) or in use")
        }
        guard entries >= 2, entries <= maximumQueueEntries else {
            return reject(.invalidQueueSize, e, "CQ of \(entries) entries (2...\(maximumQueueEntries))")
        }
        guard contiguous else { return reject(.invalidField, e, "PC=0 but CAP.CQR requires contiguous queues") }
        guard !interruptsEnabled || Int(vector) < (msix?.vectorCount ?? 0) else {
            return reject(.invalidInterruptVector, e, "interrupt vector \(vector) beyond the MSI-X table")
        }
        let status = checkQueueMemory(e.prp1, bytes: UInt64(entries) * 16, access: .write, e)
        guard status.isSuccess else { return CommandResult(status) }
        var cq = CompletionQueueState()
        cq.exists = true
        cq.base = e.prp1
        cq.entries = entries
        cq.interruptsEnabled = interruptsEnabled
        cq.vector = vector
        queues.completion[qid] = cq
        return .success()
    }

    /// Create I/O Submission Queue (NVMe Base §5.4).
    func createSubmissionQueue(_ e: SubmissionEntry) -> CommandResult {
        let qid = Int(e.cdw10 & 0xFFFF)
        let entries = (e.cdw10 >> 16) + 1
        let contiguous = e.cdw11 & 1 != 0
        let cqid = Int(e.cdw11 >> 16)
        guard checkEntrySizes(completion: false) else { return CommandResult(.invalidField) }
        guard qid != 0, qid <= grantedIOQueues, !queues.submission[qid].exists else {
            return reject(.invalidQueueIdentifier, e, "SQ id \(qid) is 0, beyond \(grantedIOQueues) or in use")
        }
        guard cqid != 0, cqid < queues.count, queues.completion[cqid].exists else {
            return reject(.completionQueueInvalid, e, "CQ id \(cqid) does not name an I/O completion queue")
        }
        guard entries >= 2, entries <= maximumQueueEntries else {
            return reject(.invalidQueueSize, e, "SQ of \(entries) entries (2...\(maximumQueueEntries))")
        }
        guard contiguous else { return reject(.invalidField, e, "PC=0 but CAP.CQR requires contiguous queues") }
        let status = checkQueueMemory(e.prp1, bytes: UInt64(entries) * 64, access: .read, e)
        guard status.isSuccess else { return CommandResult(status) }
        queues.submission[qid] = SubmissionQueueState(
            exists: true, base: e.prp1, entries: entries, head: 0, tail: 0, completionQueue: UInt16(cqid),
            priority: UInt8((e.cdw11 >> 1) & 3))
        queues.completion[cqid].attachedSubmissionQueues += 1
        return .success()
    }

    /// Delete I/O Submission Queue (NVMe Base §5.6). Nothing is in flight (commands complete before
    /// the next fetch), so no command needs aborting.
    func deleteSubmissionQueue(_ e: SubmissionEntry) -> CommandResult {
        let qid = Int(e.cdw10 & 0xFFFF)
        guard qid != 0, qid < queues.count, queues.submission[qid].exists else {
            return reject(.invalidQueueIdentifier, e, "SQ id \(qid) does not name an I/O submission queue")
        }
        let cqid = Int(queues.submission[qid].completionQueue)
        queues.submission[qid] = SubmissionQueueState()
        queues.completion[cqid].attachedSubmissionQueues -= 1
        return .success()
    }

    /// Delete I/O Completion Queue (NVMe Base §5.5): refused while submission queues still use it.
    func deleteCompletionQueue(_ e: SubmissionEntry) -> CommandResult {
        let qid = Int(e.cdw10 & 0xFFFF)
        guard qid != 0, qid < queues.count, queues.completion[qid].exists else {
            return reject(.invalidQueueIdentifier, e, "CQ id \(qid) does not name an I/O completion queue")
        }
        guard queues.completion[qid].attachedSubmissionQueues == 0 else {
            return reject(
                .invalidQueueDeletion, e, "CQ \(qid) still has \(queues.completion[qid].attachedSubmissionQueues) SQ(s)")
        }
        queues.completion[qid] = CompletionQueueState()
        return .success()
    }

    /// CAP.MQES + 1.
    var maximumQueueEntries: UInt32 { UInt32(R.CAP.mqes.extract(from: registers.value(at: R.CAP.offset))) + 1 }

    /// CC.IOSQES / IOCQES must be 6 / 4 before I/O queues are created; otherwise the controller
    /// cannot know its entry size and reports a fatal error.
    private func checkEntrySizes(completion: Bool) -> Bool {
        let cc = registers.value(at: R.CC.offset)
        let ok = completion ? R.CC.iocqes.extract(from: cc) == 4 : R.CC.iosqes.extract(from: cc) == 6
        if !ok {
            controllerFatal(
                "I/O queue created with CC.IOSQES/IOCQES \(R.CC.iosqes.extract(from: cc))/\(R.CC.iocqes.extract(from: cc))")
        }
        return ok
    }

    /// A queue's memory: page aligned, non-zero, and reachable through the IOMMU in one mapping.
    private func checkQueueMemory(_ base: UInt64, bytes: UInt64, access: DMAAccess, _ e: SubmissionEntry) -> NVMeStatus {
        guard base != 0, base & (transfer.pageSize - 1) == 0 else {
            return reject(.invalidField, e, "queue base 0x\(hex(base)) is 0 or not page aligned").status
        }
        guard (try? dma.hostPointer(IOVA(base), length: bytes, access: access)) != nil else {
            return reject(.invalidField, e, "queue memory 0x\(hex(base))+\(bytes) is outside the DMA mappings").status
        }
        return .success
    }
}
