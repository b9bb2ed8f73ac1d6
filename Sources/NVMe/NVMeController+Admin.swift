import PCIe

extension NVMeController {
    /// Aborts Command Limit (ACL, zero-based) and Asynchronous Event Request Limit (AERL).
    static let abortLimit: UInt8 = 3
    static let asyncEventRequestLimit: UInt8 = 3

    /// Runs one admin command. Nil means the command stays outstanding (an Asynchronous Event
    /// Request without an event to report yet).
    func executeAdmin(_ e: SubmissionEntry) -> CommandResult? {
        counters.adminCommands &+= 1
        guard let opcode = AdminOpcode(rawValue: e.opcode) else {
            return reject(.invalidOpcode, e, "admin opcode 0x\(hex(e.opcode)) is not supported")
        }
        guard e.fuse == 0 else { return reject(.invalidField, e, "fused admin command") }
        guard e.psdt == 0 else { return reject(.invalidField, e, "admin commands take PRPs only (PSDT \(e.psdt))") }
        switch opcode {
        case .deleteIOSQ: return deleteSubmissionQueue(e)
        case .createIOSQ: return createSubmissionQueue(e)
        case .getLogPage: return getLogPage(e)
        case .deleteIOCQ: return deleteCompletionQueue(e)
        case .createIOCQ: return createCompletionQueue(e)
        case .identify: return identify(e)
        case .abort: return abort(e)
        case .setFeatures: return setFeatures(e)
        case .getFeatures: return getFeatures(e)
        case .asyncEventRequest: return asyncEventRequest(e)
        case .keepAlive:
            restartKeepAliveTimer()
            return .success()
        case .formatNVM: return formatNVM(e)
        case .sanitize: return sanitize(e)
        case .firmwareCommit, .firmwareImageDownload:
            // OACS bit 2 is clear: the card refuses firmware commands from the instance.
            return reject(.invalidOpcode, e, "firmware commands are not available to the instance")
        case .securitySend, .securityReceive:
            return reject(.invalidOpcode, e, "security send/receive are not supported (OACS bit 0 clear)")
        }
    }

    /// A command error: the status, plus a guest error record saying what was wrong.
    func reject(_ status: NVMeStatus, _ e: SubmissionEntry, _ why: @autoclosure () -> String) -> CommandResult {
        report(.device, "command 0x\(hex(e.opcode)) cid \(e.commandID): \(why()) -> \(status)")
        return CommandResult(status)
    }

    /// Resolves the data pointer for `length` bytes; on failure the guest error names the reason.
    func resolveData(_ e: SubmissionEntry, length: Int, toHost: Bool, allowSGL: Bool) -> NVMeStatus {
        let status = transfer.resolve(e, length: length, access: toHost ? .write : .read, allowSGL: allowSGL)
        if !status.isSuccess { reportDataProblem(e, status) }
        return status
    }

    /// Records why the data pointer of `e` could not be resolved (``DataTransfer/problem``).
    func reportDataProblem(_ e: SubmissionEntry, _ status: NVMeStatus) {
        report(.device, "command 0x\(hex(e.opcode)) cid \(e.commandID): \(transfer.problem) -> \(status)")
    }

    /// Sends `bytes` to the host through the command's PRPs.
    func send(_ bytes: [UInt8], _ e: SubmissionEntry) -> CommandResult {
        let status = resolveData(e, length: bytes.count, toHost: true, allowSGL: false)
        guard status.isSuccess else { return CommandResult(status) }
        transfer.copyToHost(bytes)
        return .success()
    }

    /// Abort (NVMe Base §5.1): commands complete before the next one is fetched, so there is never
    /// anything left to abort; DW0 bit 0 set says the command was not aborted.
    private func abort(_ e: SubmissionEntry) -> CommandResult {
        .success(1)
    }

    /// Asynchronous Event Request (NVMe Base §5.2): completes at once if an event waits, else stays
    /// outstanding; more than AERL + 1 outstanding is an error.
    private func asyncEventRequest(_ e: SubmissionEntry) -> CommandResult? {
        guard events.outstanding.count <= Int(Self.asyncEventRequestLimit) else {
            return reject(.asyncEventLimitExceeded, e, "more than \(Self.asyncEventRequestLimit + 1) outstanding requests")
        }
        if let event = events.takeDeliverable() { return .success(event.dword0) }
        events.outstanding.append(e.commandID)
        return nil
    }
}
