/// Get Log Page identifiers the controllers answer (NVMe Base §5.14.1).
public enum LogPageID: UInt8, Sendable, CaseIterable {
    /// Error Information: 64-byte entries, newest first.
    case errorInformation = 0x01
    /// SMART / Health Information (512 bytes).
    case smartHealth = 0x02
    /// Firmware Slot Information (512 bytes).
    case firmwareSlot = 0x03
    /// Sanitize Status (512 bytes).
    case sanitizeStatus = 0x81
    /// Amazon vendor page: EBS / instance-storage performance statistics (4096 bytes).
    case amazonStatistics = 0xD0
}

/// Feature identifiers the controllers support in Get/Set Features (NVMe Base §5.21.1).
public enum FeatureID: UInt8, Sendable, CaseIterable {
    /// Arbitration (burst and weights).
    case arbitration = 0x01
    /// Power Management (power state, workload hint).
    case powerManagement = 0x02
    /// Temperature Threshold.
    case temperatureThreshold = 0x04
    /// Volatile Write Cache enable.
    case volatileWriteCache = 0x06
    /// Number of Queues.
    case numberOfQueues = 0x07
    /// Interrupt Coalescing (threshold, time).
    case interruptCoalescing = 0x08
    /// Interrupt Vector Configuration (coalescing disable per vector).
    case interruptVectorConfiguration = 0x09
    /// Write Atomicity Normal.
    case writeAtomicityNormal = 0x0A
    /// Asynchronous Event Configuration.
    case asyncEventConfiguration = 0x0B
    /// Keep Alive Timer (milliseconds).
    case keepAliveTimer = 0x0F
}

/// Identify CNS values the controllers answer (NVMe Base §5.15.1).
public enum IdentifyCNS: UInt8, Sendable, CaseIterable {
    /// Identify Namespace data structure for NSID.
    case namespace = 0x00
    /// Identify Controller data structure.
    case controller = 0x01
    /// Active namespace ID list (IDs greater than NSID).
    case activeNamespaceList = 0x02
    /// Namespace Identification Descriptor list for NSID.
    case namespaceDescriptors = 0x03
}

/// An asynchronous event as it completes an Asynchronous Event Request (CQE DW0).
public struct AsyncEvent: Sendable, Equatable {
    /// Asynchronous Event Type (DW0 2:0).
    public var type: UInt8
    /// Asynchronous Event Information (DW0 15:8).
    public var information: UInt8
    /// Log page to read to clear the event (DW0 23:16).
    public var logPage: UInt8

    /// An event.
    public init(type: UInt8, information: UInt8, logPage: UInt8) {
        self.type = type
        self.information = information
        self.logPage = logPage
    }

    /// Decodes CQE DW0.
    public init(dword0: UInt32) {
        self.init(
            type: UInt8(dword0 & 7), information: UInt8(truncatingIfNeeded: dword0 >> 8),
            logPage: UInt8(truncatingIfNeeded: dword0 >> 16))
    }

    /// CQE DW0.
    public var dword0: UInt32 { UInt32(type & 7) | UInt32(information) << 8 | UInt32(logPage) << 16 }

    /// Type 0, error status.
    public static let typeError: UInt8 = 0
    /// Type 1, SMART / health status.
    public static let typeSMART: UInt8 = 1
    /// Type 2, notice.
    public static let typeNotice: UInt8 = 2
    /// Type 6, I/O command specific status.
    public static let typeIOCommandSpecific: UInt8 = 6

    /// Error: write to an invalid doorbell register (a queue that does not exist).
    public static let invalidDoorbellRegister = AsyncEvent(type: typeError, information: 0x00, logPage: 0x01)
    /// Error: invalid doorbell write value (beyond the queue, or a CQ head past the tail).
    public static let invalidDoorbellValue = AsyncEvent(type: typeError, information: 0x01, logPage: 0x01)
    /// I/O command specific: sanitize operation completed (log page 0x81).
    public static let sanitizeCompleted = AsyncEvent(type: typeIOCommandSpecific, information: 0x01, logPage: 0x81)
}
