extension NVMeController {
    /// Format NVM (NVMe Base §5.23): LBA format 0 (512 B) or 1 (4 KiB), no metadata or protection
    /// information; SES 0 (no secure erase), 1 (user data erase) or 2 (cryptographic erase, only
    /// when encrypted, FNA bit 2). Every block reads as zeroes afterwards.
    func formatNVM(_ e: SubmissionEntry) -> CommandResult {
        let nsid = e.namespaceID
        guard nsid == Self.namespaceID || nsid == Self.allNamespaces else {
            return reject(.invalidNamespaceOrFormat, e, "Format NVM of NSID 0x\(hex(nsid))")
        }
        let cdw10 = e.cdw10
        let format = Int(cdw10 & 0xF | (cdw10 >> 8) & 0x30)
        let metadataSettings = (cdw10 >> 4) & 0x1F
        let eraseSetting = (cdw10 >> 9) & 7
        guard eraseSetting <= 2 else { return reject(.invalidField, e, "secure erase setting \(eraseSetting)") }
        guard eraseSetting != 2 || namespace.isEncrypted else {
            return reject(.invalidField, e, "cryptographic erase on an unencrypted namespace")
        }
        guard format < Namespace.formatBlockShifts.count, metadataSettings == 0 else {
            return reject(.invalidFormat, e, "LBA format \(format) with metadata/PI settings 0x\(hex(metadataSettings))")
        }
        do {
            try namespace.format(format)
        } catch {
            return reject(.internalError, e, "format failed: \(error)")
        }
        if eraseSetting == 1 { namespace.eraseUserData() }
        if eraseSetting == 2 {
            do {
                try namespace.cryptoErase()
            } catch {
                return reject(.internalError, e, "cryptographic erase could not draw a new key: \(error)")
            }
        }
        return .success()
    }

    /// Sanitize (NVMe Base §5.24): block erase always, cryptographic erase when encrypted,
    /// overwrite not supported, exit failure mode accepted. The operation completes before the
    /// command does; the status log is updated and a "sanitize completed" event is queued.
    /// No-Deallocate is inhibited (SANICAP.NDI): erased blocks always read as zeroes.
    func sanitize(_ e: SubmissionEntry) -> CommandResult {
        let cdw10 = e.cdw10
        let action = cdw10 & 7
        guard cdw10 >> 10 == 0 else { return reject(.invalidField, e, "reserved Sanitize bits 0x\(hex(cdw10))") }
        guard cdw10 & (1 << 9) == 0 || action == 1 else {
            return reject(.invalidField, e, "No-Deallocate After Sanitize is inhibited")
        }
        switch action {
        case 1:
            return .success()
        case 2:
            namespace.eraseUserData()
        case 4 where namespace.isEncrypted:
            do {
                try namespace.cryptoErase()
            } catch {
                sanitize.status = SanitizeState.failed
                sanitize.lastCommand = cdw10
                return reject(.sanitizeFailed, e, "cryptographic erase could not draw a new key: \(error)")
            }
        default:
            return reject(.invalidField, e, "sanitize action \(action) is not supported")
        }
        sanitize.status = SanitizeState.completed
        sanitize.lastCommand = cdw10
        sanitize.writesAtLastErase = counters.writeCommands
        events.post(.sanitizeCompleted)
        return .success()
    }
}
