import NVMe
import PCIe

/// Format, sanitize and the log pages that report on them.
extension NVMeDriver {
    /// Format NVM of `namespace` (0xFFFFFFFF: all) to LBA format `lbaFormat` (nil keeps the
    /// current one) with Secure Erase Settings `secureErase`; re-reads the namespaces afterwards.
    public func format(
        namespace: UInt32 = 1, lbaFormat: Int? = nil, secureErase: NVMeSecureErase = .none
    ) throws(NVMeDriverError) {
        let format = lbaFormat ?? (self.namespace(namespace) ?? namespaces.first)?.formatIndex ?? 0
        guard (0..<16).contains(format) else { throw .invalidConfiguration("LBA format \(format) is not in 0...15") }
        if secureErase == .cryptographic, identity?.supportsCryptographicFormat == false {
            throw .unsupported("cryptographic erase in Format NVM (FNA bit 2)")
        }
        try admin(
            .formatNVM, namespace: namespace, [10: UInt32(format) | secureErase.rawValue << 9],
            timeout: configuration.eraseTimeout)
        try identifyNamespaces()
    }

    /// Formats `namespace` to the LBA format with `blockSize`-byte blocks and no metadata.
    public func format(namespace: UInt32 = 1, blockSize: Int, secureErase: NVMeSecureErase = .none) throws(NVMeDriverError) {
        guard let index = self.namespace(namespace)?.formatIndex(blockSize: blockSize) else {
            throw .unsupported("an LBA format of \(blockSize)-byte blocks")
        }
        try format(namespace: namespace, lbaFormat: index, secureErase: secureErase)
    }

    /// Starts a Sanitize with `action` and polls the Sanitize Status log until it is no longer in
    /// progress (within ``Configuration/eraseTimeout``); returns the final status and re-reads
    /// the namespaces. A failed sanitize throws ``NVMeDriverError/sanitizeFailed(_:)``.
    @discardableResult
    public func sanitize(
        _ action: NVMeSanitizeAction, allowUnrestrictedExit: Bool = false, noDeallocate: Bool = false,
        overwritePattern: UInt32 = 0, overwritePasses: Int = 1
    ) throws(NVMeDriverError) -> NVMeSanitizeStatus {
        guard identity?.supportsSanitize(action) != false else { throw .unsupported("sanitize \(action)") }
        var cdw10 = action.rawValue | (allowUnrestrictedExit ? 1 << 3 : 0) | (noDeallocate ? 1 << 9 : 0)
        if action == .overwrite { cdw10 |= UInt32(min(max(overwritePasses, 1), 16) & 0xF) << 4 }
        try admin(.sanitize, [10: cdw10, 11: overwritePattern])
        let deadline = access.clock.now.advanced(by: configuration.eraseTimeout)
        let step = max(configuration.pollInterval, .milliseconds(1))
        var status = try sanitizeStatus()
        while status.inProgress {
            guard access.clock.now < deadline else { throw .sanitizeTimeout(status) }
            access.sleep(step)
            status = try sanitizeStatus()
        }
        guard !status.failed else { throw .sanitizeFailed(status) }
        try identifyNamespaces()
        return status
    }

    /// The Sanitize Status log page (81h); reading it clears a sanitize asynchronous event.
    public func sanitizeStatus(retainAsyncEvent: Bool = false) throws(NVMeDriverError) -> NVMeSanitizeStatus {
        let page = try logPage(.sanitizeStatus, length: 512, retainAsyncEvent: retainAsyncEvent)
        return page.withUnsafeBytes { NVMeSanitizeStatus(parsing: $0) }
    }

    /// The SMART / Health Information log page (02h) for the controller or `namespace`.
    public func smartLog(namespace: UInt32 = 0xFFFF_FFFF) throws(NVMeDriverError) -> NVMeSMARTLog {
        let page = try logPage(.smartHealth, namespace: namespace, length: 512)
        return page.withUnsafeBytes { NVMeSMARTLog(parsing: $0) }
    }

    /// The non-empty entries of the Error Information log page (01h), newest first as the
    /// controller keeps them; at most `entries` (default: ELPE + 1).
    public func errorLog(entries: Int? = nil) throws(NVMeDriverError) -> [NVMeErrorLogEntry] {
        let supported = (identity?.errorLogEntries ?? 0) + 1
        let count = min(max(entries ?? supported, 1), supported, min(Self.adminDataSize, maximumTransferBytes) / 64)
        let page = try logPage(.errorInformation, length: count * 64)
        return page.withUnsafeBytes { raw in
            (0..<count).map { i in NVMeErrorLogEntry(parsing: UnsafeRawBufferPointer(rebasing: raw[(i * 64)..<(i * 64 + 64)])) }
        }.filter { $0.errorCount != 0 }
    }

    /// Turns the volatile write cache on or off (Set Features 06h).
    public func setVolatileWriteCache(_ enabled: Bool) throws(NVMeDriverError) {
        try setFeature(.volatileWriteCache, value: enabled ? 1 : 0)
    }
}
