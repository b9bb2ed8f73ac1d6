import PCIe
import RegisterModel

extension ENADevice {
    /// Admin queue depths the device accepts (powers of two).
    static let adminDepths: ClosedRange<UInt16> = 2...4096

    /// Latches the admin queues from AQ_* and ACQ_* registers; false (and a guest error) when the
    /// driver programmed something the device cannot use.
    func latchAdminQueues() -> Bool {
        let aqCaps = registers.value(at: R.AQ_CAPS.offset)
        let acqCaps = registers.value(at: R.ACQ_CAPS.offset)
        let sqBase = registers.value(at: R.AQ_BASE_LO.offset) | registers.value(at: R.AQ_BASE_HI.offset) << 32
        let cqBase = registers.value(at: R.ACQ_BASE_LO.offset) | registers.value(at: R.ACQ_BASE_HI.offset) << 32
        let sqDepth = UInt16(truncatingIfNeeded: R.AQ_CAPS.aqDepth.extract(from: aqCaps))
        let cqDepth = UInt16(truncatingIfNeeded: R.ACQ_CAPS.acqDepth.extract(from: acqCaps))
        let sqEntry = R.AQ_CAPS.aqEntrySize.extract(from: aqCaps)
        let cqEntry = Int(R.ACQ_CAPS.acqEntrySize.extract(from: acqCaps))
        let problem: String? =
            if !Self.adminDepths.contains(sqDepth) || sqDepth & (sqDepth &- 1) != 0
                || !Self.adminDepths.contains(cqDepth) || cqDepth & (cqDepth &- 1) != 0
            {
                "AQ/ACQ depths \(sqDepth)/\(cqDepth) are not powers of two in 2...4096"
            } else if sqEntry != UInt64(ENAAdminEntry.size) {
                "AQ entry size \(sqEntry) is not 64"
            } else if cqEntry != 16 && cqEntry != 32 && cqEntry != 64 {
                "ACQ entry size \(cqEntry) is not 16, 32 or 64"
            } else if sqBase == 0 || cqBase == 0 || sqBase & 7 != 0 || cqBase & 7 != 0 {
                "admin queue bases 0x\(hex(sqBase)) / 0x\(hex(cqBase)) are zero or not 8-byte aligned"
            } else {
                nil
            }
        if let problem {
            report(.device, "admin queue setup refused: " + problem)
            return false
        }
        admin = AdminQueueState(
            configured: true, submissionBase: sqBase, submissionDepth: sqDepth, submissionShift: log2(ofPowerOfTwo: sqDepth),
            head: 0, completionBase: cqBase, completionDepth: cqDepth, completionShift: log2(ofPowerOfTwo: cqDepth),
            completionEntrySize: cqEntry, completionTail: 0)
        return true
    }

    /// AQ_DB written: runs every command from the device's head to the new tail, posting each
    /// completion before fetching the next; one admin interrupt for the batch.
    func adminDoorbellWritten() {
        let tail = UInt16(truncatingIfNeeded: registers.value(at: R.AQ_DB.offset))
        guard operational else {
            counters.ignoredDoorbells &+= 1
            report(.device, "AQ doorbell \(tail) while the device is not ready; ignored")
            return
        }
        if !admin.configured {
            guard latchAdminQueues() else {
                counters.ignoredDoorbells &+= 1
                return
            }
        }
        guard tail &- admin.head <= admin.submissionDepth else {
            counters.ignoredDoorbells &+= 1
            report(.device, "AQ doorbell \(tail) is more than \(admin.submissionDepth) entries past head \(admin.head); ignored")
            return
        }
        var posted = false
        while admin.head != tail, operational {
            let index = admin.head & (admin.submissionDepth &- 1)
            let address = admin.submissionBase &+ UInt64(index) &* UInt64(ENAAdminEntry.size)
            guard let slot = try? dma.hostPointer(IOVA(address), length: UInt64(ENAAdminEntry.size), access: .read) else {
                deviceFatal("cannot fetch AQ entry \(index) at 0x\(hex(address))")
                return
            }
            let command = ENAAdminEntry(loadingFrom: slot)
            let expected = (admin.head >> admin.submissionShift) & 1 == 0
            guard (command.submissionFlags & ENAAdminEntry.phaseFlag != 0) == expected else {
                counters.staleDescriptors &+= 1
                report(.device, "AQ entry \(index) has a stale phase bit (not written yet); fetching stops there")
                break
            }
            admin.head &+= 1
            var response = ENAAdminEntry()
            let status = executeAdmin(command, &response)
            guard postAdminCompletion(for: command, status: status, response: &response) else { return }
            posted = true
        }
        if posted { adminInterrupt() }
    }

    /// Writes the completion of `command` at the ACQ tail; false (and FATAL_ERROR) when the ACQ
    /// cannot be written.
    private func postAdminCompletion(for command: ENAAdminEntry, status: ENAAdminStatus, response: inout ENAAdminEntry)
        -> Bool
    {
        if status != .success {
            counters.adminErrors &+= 1
            response = ENAAdminEntry()
        }
        let index = admin.completionTail & (admin.completionDepth &- 1)
        response.commandID = command.commandID
        response.status = status.rawValue
        response.completionFlags = (admin.completionTail >> admin.completionShift) & 1 == 0 ? 1 : 0
        response.submissionQueueHead = admin.head & (admin.submissionDepth &- 1)
        let size = admin.completionEntrySize
        let address = admin.completionBase &+ UInt64(index) &* UInt64(size)
        guard let slot = try? dma.hostPointer(IOVA(address), length: UInt64(size), access: .write) else {
            deviceFatal("cannot write ACQ entry \(index) at 0x\(hex(address))")
            return false
        }
        response.store(to: slot, count: size)
        admin.completionTail &+= 1
        registers.set(R.ACQ_TAIL.offset, UInt64(admin.completionTail))
        return true
    }

    /// Vector 0 for admin completions, unless INTR_MASK masks them (then held until unmasked).
    private func adminInterrupt() {
        if R.INTR_MASK.adminIntrMask.isSet(in: registers.value(at: R.INTR_MASK.offset)) {
            adminInterruptPending = true
        } else {
            signal(vector: 0)
        }
    }

    /// Runs one admin command; `response` receives the command-specific completion bytes.
    func executeAdmin(_ command: ENAAdminEntry, _ response: inout ENAAdminEntry) -> ENAAdminStatus {
        counters.adminCommands &+= 1
        guard let opcode = ENAAdminOpcode(rawValue: command.opcode) else {
            return reject(.unsupportedOpcode, command, "opcode \(command.opcode) is not an ENA admin opcode")
        }
        switch opcode {
        case .createSQ: return createSubmissionQueue(command, &response)
        case .destroySQ: return destroySubmissionQueue(command)
        case .createCQ: return createCompletionQueue(command, &response)
        case .destroyCQ: return destroyCompletionQueue(command)
        case .getFeature: return getFeature(command, &response)
        case .setFeature: return setFeature(command, &response)
        case .getStats: return getStatistics(command, &response)
        }
    }

    /// A command error: the status, plus a guest error saying what was wrong.
    func reject(_ status: ENAAdminStatus, _ command: ENAAdminEntry, _ why: @autoclosure () -> String) -> ENAAdminStatus {
        report(.device, "admin command \(command.commandID) (opcode \(command.opcode)): \(why()) -> \(status)")
        return status
    }

    /// The command's control buffer as `bytes` bytes the device may access; nil with `status` set
    /// (MALFORMED_REQUEST) when there is none, it is too short, or the IOMMU does not map it.
    /// `flagRequired: false` for commands whose driver leaves the descriptor flags clear
    /// (GET_STATS): then the length and address fields alone describe the buffer.
    func controlBuffer(
        _ command: ENAAdminEntry, bytes: Int, access: DMAAccess, flagRequired: Bool = true,
        _ status: inout ENAAdminStatus
    ) -> UnsafeMutableRawPointer? {
        guard command.hasControlBuffer || !flagRequired else {
            status = reject(.malformedRequest, command, "needs a control buffer")
            return nil
        }
        guard Int(command.controlBufferLength) >= bytes else {
            status = reject(
                .malformedRequest, command, "control buffer of \(command.controlBufferLength) bytes, \(bytes) needed")
            return nil
        }
        let address = command.controlBufferAddress
        do {
            return try dma.hostPointer(IOVA(address), length: UInt64(max(bytes, 1)), access: access)
        } catch {
            status = reject(.malformedRequest, command, "control buffer at 0x\(hex(address)) is not DMA-able: \(error)")
            return nil
        }
    }
}
