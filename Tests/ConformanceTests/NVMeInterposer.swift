import NVMe
import PCIe

/// A device model that forwards everything to a real NVMe controller model but lets a test
/// sabotage it: rewrite or drop BAR0 register accesses, skip function level resets, and rewrite
/// submission queue entries in guest memory just before the controller fetches them (admin and
/// I/O queues; I/O queues are learnt from the Create I/O Submission Queue commands it sees).
final class NVMeInterposer: PCIDeviceModel {
    let inner: NVMeController
    let function: PCIFunction
    /// Rewrites the value a register read at `offset` returns.
    var onRead: (Int, UInt64) -> UInt64 = { $1 }
    /// Rewrites a register write to `offset`; nil drops it.
    var onWrite: (Int, UInt64) -> UInt64? = { $1 }
    /// Rewrites an entry of submission queue `qid` before the controller sees it.
    var rewrite: (_ qid: Int, _ entry: inout SubmissionEntry) -> Void = { _, _ in }
    /// Whether a function level reset reaches the controller.
    var passResets = true

    /// Known submission queues: base, entries, and the tail last rewritten up to.
    private var queues: [Int: (base: UInt64, entries: Int, tail: Int)] = [:]

    init(_ inner: NVMeController, function: PCIFunction) {
        self.inner = inner
        self.function = function
    }

    func barRead(_ bar: BARIndex, offset: UInt64, width: AccessWidth) -> UInt64 {
        let v = inner.barRead(bar, offset: offset, width: width)
        return bar == NVMe.registerBAR ? onRead(Int(offset), v) : v
    }

    func barWrite(_ bar: BARIndex, offset: UInt64, width: AccessWidth, value: UInt64) {
        guard bar == NVMe.registerBAR, let v = onWrite(Int(offset), value) else { return }
        if offset == 0x14 { queues = [:] }
        if offset >= 0x1000, offset < 0x2000, (offset - 0x1000) % 8 == 0 {
            rewriteEntries(Int(offset - 0x1000) / 8, tail: Int(v))
        }
        inner.barWrite(bar, offset: offset, width: width, value: v)
    }

    func reset(_ kind: ResetKind) {
        queues = [:]
        if passResets || kind != .functionLevel { inner.reset(kind) }
    }

    /// Rewrites the entries from the last tail seen up to `tail` of SQ `qid`.
    private func rewriteEntries(_ qid: Int, tail: Int) {
        if qid == 0, queues[0] == nil {
            let aqa = inner.barRead(NVMe.registerBAR, offset: 0x24, width: .dword)
            let asq = inner.barRead(NVMe.registerBAR, offset: 0x28, width: .qword)
            queues[0] = (asq, Int(aqa & 0xFFF) + 1, 0)
        }
        guard let q = queues[qid], q.entries > 0, tail < q.entries else { return }
        var i = q.tail
        while i != tail {
            if let p = try? function.dma.hostPointer(IOVA(q.base + UInt64(i) * 64), length: 64, access: .read) {
                var e = SubmissionEntry(loadingFrom: p)
                rewrite(qid, &e)
                e.store(to: p)
                if qid == 0, e.opcode == AdminOpcode.createIOSQ.rawValue {
                    queues[Int(e.cdw10 & 0xFFFF)] = (e.prp1, Int(e.cdw10 >> 16) + 1, 0)
                }
                if qid == 0, e.opcode == AdminOpcode.deleteIOSQ.rawValue { queues[Int(e.cdw10 & 0xFFFF)] = nil }
            }
            i = (i + 1) % q.entries
        }
        queues[qid]?.tail = tail
    }
}
