import NVMe

/// Sanitize Action (SANACT, Sanitize CDW10 2:0).
public enum NVMeSanitizeAction: UInt32, Sendable, CaseIterable {
    /// Exit Failure Mode.
    case exitFailureMode = 1
    /// Block Erase.
    case blockErase = 2
    /// Overwrite.
    case overwrite = 3
    /// Crypto Erase.
    case cryptoErase = 4
}

/// Secure Erase Settings of Format NVM (SES, CDW10 11:9).
public enum NVMeSecureErase: UInt32, Sendable, CaseIterable {
    /// No secure erase.
    case none = 0
    /// User Data Erase.
    case userData = 1
    /// Cryptographic Erase.
    case cryptographic = 2
}

/// The Sanitize Status log page (81h).
public struct NVMeSanitizeStatus: Sendable, Equatable, CustomStringConvertible {
    /// Sanitize Progress (SPROG), in 1/65536 of the operation.
    public var progress: UInt16
    /// Sanitize Status (SSTAT) as reported.
    public var rawStatus: UInt16
    /// Sanitize Command Dword 10 of the last sanitize (SCDW10).
    public var commandDword10: UInt32

    /// Parses the first bytes of the page.
    public init(parsing data: UnsafeRawBufferPointer) {
        let b = NVMeBytes(data)
        progress = b.u16(0)
        rawStatus = b.u16(2)
        commandDword10 = b.u32(4)
    }

    /// SSTAT 2:0: 0 never sanitized, 1 completed, 2 in progress, 3 failed, 4 completed without deallocation.
    public var state: Int { Int(rawStatus & 7) }
    /// The most recent sanitize is still running.
    public var inProgress: Bool { state == 2 }
    /// The most recent sanitize failed.
    public var failed: Bool { state == 3 }
    /// The most recent sanitize completed (with or without deallocation).
    public var completed: Bool { state == 1 || state == 4 }
    /// Global Data Erased (SSTAT bit 8).
    public var globalDataErased: Bool { rawStatus & (1 << 8) != 0 }
    public var description: String { "SSTAT 0x\(String(rawStatus, radix: 16)) SPROG \(progress)" }
}

/// The SMART / Health Information log page (02h), the fields tests and tools look at.
public struct NVMeSMARTLog: Sendable, Equatable {
    /// Critical Warning bits.
    public var criticalWarning: UInt8
    /// Composite Temperature in kelvin.
    public var temperatureKelvin: Int
    /// Available Spare, percent.
    public var availableSpare: Int
    /// Available Spare Threshold, percent.
    public var availableSpareThreshold: Int
    /// Percentage Used (may exceed 100).
    public var percentageUsed: Int
    /// Data Units Read (thousands of 512-byte units; low 64 bits).
    public var dataUnitsRead: UInt64
    /// Data Units Written.
    public var dataUnitsWritten: UInt64
    /// Host Read Commands.
    public var hostReadCommands: UInt64
    /// Host Write Commands.
    public var hostWriteCommands: UInt64
    /// Power Cycles.
    public var powerCycles: UInt64
    /// Unsafe Shutdowns.
    public var unsafeShutdowns: UInt64
    /// Media and Data Integrity Errors.
    public var mediaErrors: UInt64
    /// Number of Error Information Log Entries over the controller's life.
    public var errorLogEntries: UInt64

    /// Parses the 512-byte page.
    public init(parsing data: UnsafeRawBufferPointer) {
        let b = NVMeBytes(data)
        criticalWarning = b.u8(0)
        temperatureKelvin = Int(b.u16(1))
        availableSpare = Int(b.u8(3))
        availableSpareThreshold = Int(b.u8(4))
        percentageUsed = Int(b.u8(5))
        dataUnitsRead = b.u64(32)
        dataUnitsWritten = b.u64(48)
        hostReadCommands = b.u64(64)
        hostWriteCommands = b.u64(80)
        powerCycles = b.u64(112)
        unsafeShutdowns = b.u64(144)
        mediaErrors = b.u64(160)
        errorLogEntries = b.u64(176)
    }
}

/// One Error Information log entry (64 bytes).
public struct NVMeErrorLogEntry: Sendable, Equatable {
    /// Error Count: unique, increasing; 0 means the entry is empty.
    public var errorCount: UInt64
    /// Submission Queue ID.
    public var submissionQueueID: UInt16
    /// Command ID.
    public var commandID: UInt16
    /// The status the command completed with.
    public var status: NVMeStatus
    /// Parameter Error Location (byte 7:0, bit 10:8).
    public var parameterErrorLocation: UInt16
    /// LBA.
    public var lba: UInt64
    /// Namespace.
    public var namespaceID: UInt32

    /// Parses one 64-byte entry.
    public init(parsing data: UnsafeRawBufferPointer) {
        let b = NVMeBytes(data)
        errorCount = b.u64(0)
        submissionQueueID = b.u16(8)
        commandID = b.u16(10)
        status = NVMeStatus(field: b.u16(12) >> 1)
        parameterErrorLocation = b.u16(14)
        lba = b.u64(16)
        namespaceID = b.u32(24)
    }
}
