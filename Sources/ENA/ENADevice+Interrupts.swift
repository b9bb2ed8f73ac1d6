import PCIe
import RegisterModel

extension ENADevice {
    /// A CQ interrupt register (`ena_eth_io_intr_reg`) written: the queue's moderation delay for
    /// its direction is taken; with INTR_UNMASK the queue is armed again, and completions posted
    /// while it was masked interrupt now (or after the delay).
    func interruptRegisterWritten(_ index: Int, value: UInt32) {
        guard index < queues.count, queues.completion[index].exists else {
            counters.ignoredDoorbells &+= 1
            report(.device, "interrupt register of CQ \(index), which does not exist; ignored")
            return
        }
        let cq = queues.completion + index
        let sq = cq.pointee.boundQueue
        let transmit = sq >= 0 && queues.submission[sq].isTransmit
        let v = UInt64(value)
        let delay = transmit ? R.CQ_INTR.txIntrDelay.extract(from: v) : R.CQ_INTR.rxIntrDelay.extract(from: v)
        cq.pointee.delay = UInt32(truncatingIfNeeded: delay) &* UInt32(Self.interruptDelayResolution)
        guard R.CQ_INTR.intrUnmask.isSet(in: v) else { return }
        cq.pointee.armed = true
        if cq.pointee.unsignalled { completionInterrupt(index) }
    }

    /// Completions were posted to CQ `index`: one interrupt if it is armed, one-shot (the driver
    /// unmasks again when it has polled), after the moderation delay when one is set.
    @inline(__always)
    func completionInterrupt(_ index: Int) {
        let cq = queues.completion + index
        cq.pointee.unsignalled = true
        guard cq.pointee.interruptMode, cq.pointee.armed, !cq.pointee.moderationPending else { return }
        let delay = cq.pointee.delay
        guard delay > 0 else {
            fireCompletionInterrupt(index)
            return
        }
        cq.pointee.moderationPending = true
        let expected = generation
        clock.schedule(after: .microseconds(UInt64(delay))) { [lifetime] in
            guard let device = lifetime.object, device.generation == expected, index < device.queues.count else { return }
            device.queues.completion[index].moderationPending = false
            guard device.queues.completion[index].exists else { return }
            device.fireCompletionInterrupt(index)
        }
    }

    private func fireCompletionInterrupt(_ index: Int) {
        let cq = queues.completion + index
        guard cq.pointee.armed else { return }
        cq.pointee.armed = false
        cq.pointee.unsignalled = false
        signal(vector: cq.pointee.vector)
    }
}
