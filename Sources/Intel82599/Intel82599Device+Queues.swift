import PCIe
import RegisterModel

extension Intel82599Device {
    /// Re-derives the pool layout (GCR_EXT.VT_Mode, PFVTCTL) and which function owns each queue.
    func updateQueueOwners() {
        let vtMode = R.GCR_EXT.vtMode.extract(from: registers.value(at: R.GCR_EXT.offset))
        let vtctl = registers.value(at: R.PFVTCTL.offset)
        var l = PoolLayout()
        switch vtMode {
        case R.GCR_EXT.VTModeValue.pools16: l.pools = 16
        case R.GCR_EXT.VTModeValue.pools32: l.pools = 32
        case R.GCR_EXT.VTModeValue.pools64: l.pools = 64
        default: l.pools = 1
        }
        l.queuesPerPool = Intel82599.queueCount / l.pools
        l.virtualizationEnabled = l.pools > 1 && R.PFVTCTL.vtEnable.isSet(in: vtctl)
        l.defaultPool = Int(R.PFVTCTL.defaultPool.extract(from: vtctl)) % l.pools
        l.defaultPoolDisabled = R.PFVTCTL.disableDefaultPool.isSet(in: vtctl)
        layout = l
        for q in 0..<Intel82599.queueCount {
            let pool = l.pool(ofQueue: q)
            let owner = l.pools > 1 && pool < enabledVirtualFunctions ? pool + 1 : 0
            rxQueues[q].owner = owner
            txQueues[q].owner = owner
        }
    }

    /// The DMA port of the function that owns a queue.
    @inline(__always) func dmaPort(owner: Int) -> Unmanaged<DMAPort>? {
        owner >= 0 && owner <= Intel82599.poolCount ? queueOwners[owner].port : nil
    }

    /// Reports a guest error against the function that owns a queue.
    func reportQueueError(owner: Int, _ detail: String) {
        if owner > 0, let vf = virtualFunctionDevices[owner - 1] {
            vf.report(.device, detail)
        } else {
            report(.device, detail)
        }
    }

    /// Side effects of a write to RX queue `q`'s registers.
    func rxRegisterWritten(_ q: Int, _ r: QueueRegister) {
        let at = { (reg: QueueRegister) in self.registers.value(at: QueueOffsets.rx(q, reg)) }
        switch r {
        case .control:
            let control = at(.control)
            let wantEnable = R.RXDCTL.enable.isSet(in: control)
            rxQueues[q].stripVLAN = R.RXDCTL.vme.isSet(in: control)
            if wantEnable, !rxQueues[q].enabled {
                guard let entries = ringEntries(length: at(.length), queue: q, kind: "RX", owner: rxQueues[q].owner) else {
                    registers.set(QueueOffsets.rx(q, .control), R.RXDCTL.enable.insert(0, into: control))
                    return
                }
                rxQueues[q].entries = entries
                rxQueues[q].ringBase = at(.baseHigh) << 32 | at(.baseLow)
                rxQueues[q].head = Int(at(.head)) % entries
                rxQueues[q].tail = Int(at(.tail)) % entries
                rxQueues[q].enabled = true
            } else if !wantEnable {
                rxQueues[q].enabled = false
            }
        case .splitControl:
            let srrctl = at(.splitControl)
            let kib = Int(R.SRRCTL.bsizepacket.extract(from: srrctl))
            rxQueues[q].bufferSize = kib == 0 ? 2048 : kib * 1024
            rxQueues[q].dropEnable = R.SRRCTL.dropEnable.isSet(in: srrctl)
        case .head:
            if !rxQueues[q].enabled { rxQueues[q].head = Int(at(.head)) }
        case .tail:
            rxTailWritten(q, tail: Int(at(.tail)))
        case .baseLow, .baseHigh, .length, .writeBackLow, .writeBackHigh:
            break
        }
    }

    /// Side effects of a write to TX queue `q`'s registers.
    func txRegisterWritten(_ q: Int, _ r: QueueRegister) {
        let at = { (reg: QueueRegister) in self.registers.value(at: QueueOffsets.tx(q, reg)) }
        switch r {
        case .control:
            let control = at(.control)
            let wantEnable = R.TXDCTL.enable.isSet(in: control)
            if wantEnable, !txQueues[q].enabled {
                guard let entries = ringEntries(length: at(.length), queue: q, kind: "TX", owner: txQueues[q].owner) else {
                    registers.set(QueueOffsets.tx(q, .control), R.TXDCTL.enable.insert(0, into: control))
                    return
                }
                txQueues[q].entries = entries
                txQueues[q].ringBase = at(.baseHigh) << 32 | at(.baseLow)
                txQueues[q].head = Int(at(.head)) % entries
                txQueues[q].tail = Int(at(.tail)) % entries
                txQueues[q].enabled = true
                transmit(queue: q)
            } else if !wantEnable {
                txQueues[q].enabled = false
            }
        case .head:
            if !txQueues[q].enabled { txQueues[q].head = Int(at(.head)) }
        case .tail:
            txTailWritten(q, tail: Int(at(.tail)))
        case .writeBackLow, .writeBackHigh:
            let low = at(.writeBackLow)
            txQueues[q].headWriteBack =
                R.TDWBAL.enable.isSet(in: low) ? (at(.writeBackHigh) << 32 | (low & ~UInt64(3))) : 0
        case .baseLow, .baseHigh, .length, .splitControl:
            break
        }
    }

    /// A 32-bit guest write of `value` to RDT (`tx` false) or TDT of queue `q` through the
    /// resolved tail slots: the register file and the queue change exactly as through the
    /// general register path, which costs an offset lookup and a decode per doorbell.
    @inline(__always) func queueTailWritten(_ q: Int, tx: Bool, value: UInt64) {
        let slots = tailSlots[q]
        if tx {
            registers.guestWrite(slots.tx, value: value)
            txTailWritten(q, tail: Int(registers.value(slots.tx)))
        } else {
            registers.guestWrite(slots.rx, value: value)
            rxTailWritten(q, tail: Int(registers.value(slots.rx)))
        }
    }

    /// RDT of queue `q` now holds `tail`: a tail beyond the ring of an enabled queue is counted
    /// and ignored (the ring keeps the old tail).
    private func rxTailWritten(_ q: Int, tail: Int) {
        if rxQueues[q].enabled, tail >= rxQueues[q].entries {
            counters.badTailWrites &+= 1
            reportQueueError(
                owner: rxQueues[q].owner, "RX queue \(q): RDT \(tail) beyond a ring of \(rxQueues[q].entries); ignored")
            return
        }
        rxQueues[q].tail = tail
    }

    /// TDT of queue `q` now holds `tail`: on an enabled queue the descriptors up to it are
    /// processed; a tail beyond the ring is counted and ignored.
    private func txTailWritten(_ q: Int, tail: Int) {
        guard txQueues[q].enabled else {
            txQueues[q].tail = tail
            return
        }
        guard tail < txQueues[q].entries else {
            counters.badTailWrites &+= 1
            reportQueueError(
                owner: txQueues[q].owner, "TX queue \(q): TDT \(tail) beyond a ring of \(txQueues[q].entries); ignored")
            return
        }
        txQueues[q].tail = tail
        transmit(queue: q)
    }

    /// Descriptors in a ring of `length` bytes, or nil (with a guest error) if the length is zero
    /// or not a multiple of 128 bytes (datasheet §8.2.3.8.3).
    private func ringEntries(length: UInt64, queue q: Int, kind: String, owner: Int) -> Int? {
        guard length != 0, length % 128 == 0 else {
            counters.badRingLengths &+= 1
            reportQueueError(
                owner: owner, "\(kind) queue \(q): ring length \(length) is not a non-zero multiple of 128; queue not enabled")
            return nil
        }
        return Int(length) / 16
    }

    /// QDE: indirect write of SRRCTL.DROP_EN of one queue.
    func queueDropEnableWritten(_ v: UInt32) {
        let value = UInt64(v)
        guard R.QDE.write.isSet(in: value) else { return }
        let q = Int(R.QDE.index.extract(from: value))
        let at = QueueOffsets.rx(q, .splitControl)
        registers.set(at, R.SRRCTL.dropEnable.insert(R.QDE.enable.extract(from: value), into: registers.value(at: at)))
        rxRegisterWritten(q, .splitControl)
    }

    /// Stops every queue of `pool` (VF reset): RXDCTL/TXDCTL.Enable clear, rings forgotten.
    func stopQueues(ofPool pool: Int) {
        guard layout.pools > 1, pool >= 0, pool < layout.pools else { return }
        let first = layout.firstQueue(ofPool: pool)
        for q in first..<min(first + layout.queuesPerPool, Intel82599.queueCount) {
            rxQueues[q].enabled = false
            txQueues[q].enabled = false
            for r in [QueueRegister.baseLow, .baseHigh, .length, .head, .tail] {
                registers.set(QueueOffsets.rx(q, r), 0)
                registers.set(QueueOffsets.tx(q, r), 0)
            }
            registers.set(QueueOffsets.rx(q, .control), 0)
            registers.set(QueueOffsets.tx(q, .control), 0)
            registers.set(QueueOffsets.rx(q, .splitControl), R.SRRCTL.reset)
            registers.set(QueueOffsets.tx(q, .writeBackLow), 0)
            registers.set(QueueOffsets.tx(q, .writeBackHigh), 0)
            rxRegisterWritten(q, .splitControl)
            txQueues[q].headWriteBack = 0
            rxQueues[q].head = 0
            rxQueues[q].tail = 0
            txQueues[q].head = 0
            txQueues[q].tail = 0
        }
    }
}
