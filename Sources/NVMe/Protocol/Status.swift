/// A completion status (NVMe Base §4.6.1.2): status code type, status code, Do Not Retry and More.
public struct NVMeStatus: Sendable, Hashable, CustomStringConvertible {
    /// Status Code Type (3 bits): 0 generic, 1 command specific, 2 media and data integrity, 3 path.
    public var type: UInt8
    /// Status Code.
    public var code: UInt8
    /// Do Not Retry.
    public var doNotRetry: Bool
    /// More information in the Error Information log page.
    public var more: Bool

    /// A status of `type`/`code`.
    @inlinable public init(type: UInt8, code: UInt8, doNotRetry: Bool = false, more: Bool = false) {
        self.type = type & 7
        self.code = code
        self.doNotRetry = doNotRetry
        self.more = more
    }

    /// True for Successful Completion.
    @inlinable public var isSuccess: Bool { type == 0 && code == 0 }

    /// The 15-bit Status Field as it sits in CQE DW3 bits 31:17 (phase tag excluded), shifted to 14:0.
    @inlinable public var field: UInt16 {
        UInt16(code) | UInt16(type) << 8 | (more ? 1 << 13 : 0) | (doNotRetry ? 1 << 14 : 0)
    }

    /// Decodes a Status Field (CQE DW3 >> 17).
    @inlinable public init(field: UInt16) {
        self.init(
            type: UInt8((field >> 8) & 7), code: UInt8(truncatingIfNeeded: field), doNotRetry: field & (1 << 14) != 0,
            more: field & (1 << 13) != 0)
    }

    /// The same status with Do Not Retry set.
    @inlinable public var final: NVMeStatus { NVMeStatus(type: type, code: code, doNotRetry: true, more: more) }

    /// "SCT/SC" in hex, e.g. "0/02".
    public var description: String {
        let hex = String(code, radix: 16)
        return "\(type)/\(hex.count == 1 ? "0" + hex : hex)\(doNotRetry ? " DNR" : "")"
    }

    // Generic command status (SCT 0).
    /// 0/00 Successful Completion.
    public static let success = NVMeStatus(type: 0, code: 0x00)
    /// 0/01 Invalid Command Opcode.
    public static let invalidOpcode = NVMeStatus(type: 0, code: 0x01, doNotRetry: true)
    /// 0/02 Invalid Field in Command.
    public static let invalidField = NVMeStatus(type: 0, code: 0x02, doNotRetry: true)
    /// 0/03 Command ID Conflict.
    public static let commandIDConflict = NVMeStatus(type: 0, code: 0x03, doNotRetry: true)
    /// 0/04 Data Transfer Error.
    public static let dataTransferError = NVMeStatus(type: 0, code: 0x04)
    /// 0/06 Internal Error.
    public static let internalError = NVMeStatus(type: 0, code: 0x06)
    /// 0/07 Command Abort Requested.
    public static let abortRequested = NVMeStatus(type: 0, code: 0x07)
    /// 0/08 Command Aborted due to SQ Deletion.
    public static let abortedSQDeletion = NVMeStatus(type: 0, code: 0x08)
    /// 0/0B Invalid Namespace or Format.
    public static let invalidNamespaceOrFormat = NVMeStatus(type: 0, code: 0x0B, doNotRetry: true)
    /// 0/0C Command Sequence Error.
    public static let commandSequenceError = NVMeStatus(type: 0, code: 0x0C, doNotRetry: true)
    /// 0/0D Invalid SGL Segment Descriptor.
    public static let invalidSGLSegmentDescriptor = NVMeStatus(type: 0, code: 0x0D, doNotRetry: true)
    /// 0/0E Invalid Number of SGL Descriptors.
    public static let invalidSGLDescriptorCount = NVMeStatus(type: 0, code: 0x0E, doNotRetry: true)
    /// 0/0F Data SGL Length Invalid.
    public static let dataSGLLengthInvalid = NVMeStatus(type: 0, code: 0x0F, doNotRetry: true)
    /// 0/11 SGL Descriptor Type Invalid.
    public static let sglDescriptorTypeInvalid = NVMeStatus(type: 0, code: 0x11, doNotRetry: true)
    /// 0/13 PRP Offset Invalid.
    public static let prpOffsetInvalid = NVMeStatus(type: 0, code: 0x13, doNotRetry: true)
    /// 0/15 Operation Denied (used for firmware commands the card refuses from the instance).
    public static let operationDenied = NVMeStatus(type: 0, code: 0x15, doNotRetry: true)
    /// 0/1C Sanitize Failed.
    public static let sanitizeFailed = NVMeStatus(type: 0, code: 0x1C, doNotRetry: true)
    /// 0/1D Sanitize In Progress.
    public static let sanitizeInProgress = NVMeStatus(type: 0, code: 0x1D)
    /// 0/80 LBA Out of Range.
    public static let lbaOutOfRange = NVMeStatus(type: 0, code: 0x80, doNotRetry: true)
    /// 0/81 Capacity Exceeded.
    public static let capacityExceeded = NVMeStatus(type: 0, code: 0x81, doNotRetry: true)
    /// 0/82 Namespace Not Ready.
    public static let namespaceNotReady = NVMeStatus(type: 0, code: 0x82)
    /// 0/84 Format In Progress.
    public static let formatInProgress = NVMeStatus(type: 0, code: 0x84)

    // Command specific status (SCT 1).
    /// 1/00 Completion Queue Invalid.
    public static let completionQueueInvalid = NVMeStatus(type: 1, code: 0x00, doNotRetry: true)
    /// 1/01 Invalid Queue Identifier.
    public static let invalidQueueIdentifier = NVMeStatus(type: 1, code: 0x01, doNotRetry: true)
    /// 1/02 Invalid Queue Size.
    public static let invalidQueueSize = NVMeStatus(type: 1, code: 0x02, doNotRetry: true)
    /// 1/03 Abort Command Limit Exceeded.
    public static let abortLimitExceeded = NVMeStatus(type: 1, code: 0x03, doNotRetry: true)
    /// 1/05 Asynchronous Event Request Limit Exceeded.
    public static let asyncEventLimitExceeded = NVMeStatus(type: 1, code: 0x05, doNotRetry: true)
    /// 1/06 Invalid Firmware Slot.
    public static let invalidFirmwareSlot = NVMeStatus(type: 1, code: 0x06, doNotRetry: true)
    /// 1/08 Invalid Interrupt Vector.
    public static let invalidInterruptVector = NVMeStatus(type: 1, code: 0x08, doNotRetry: true)
    /// 1/09 Invalid Log Page.
    public static let invalidLogPage = NVMeStatus(type: 1, code: 0x09, doNotRetry: true)
    /// 1/0A Invalid Format.
    public static let invalidFormat = NVMeStatus(type: 1, code: 0x0A, doNotRetry: true)
    /// 1/0C Invalid Queue Deletion.
    public static let invalidQueueDeletion = NVMeStatus(type: 1, code: 0x0C, doNotRetry: true)
    /// 1/0D Feature Identifier Not Saveable.
    public static let featureNotSaveable = NVMeStatus(type: 1, code: 0x0D, doNotRetry: true)
    /// 1/0E Feature Not Changeable.
    public static let featureNotChangeable = NVMeStatus(type: 1, code: 0x0E, doNotRetry: true)

    // Media and data integrity errors (SCT 2).
    /// 2/80 Write Fault.
    public static let writeFault = NVMeStatus(type: 2, code: 0x80)
    /// 2/81 Unrecovered Read Error.
    public static let unrecoveredReadError = NVMeStatus(type: 2, code: 0x81)
    /// 2/85 Compare Failure.
    public static let compareFailure = NVMeStatus(type: 2, code: 0x85, doNotRetry: true)
    /// 2/87 Deallocated or Unwritten Logical Block.
    public static let deallocatedOrUnwritten = NVMeStatus(type: 2, code: 0x87, doNotRetry: true)
}

/// What a command returns to its completion entry: status and Dword 0.
public struct CommandResult: Sendable, Equatable {
    /// Completion status.
    public var status: NVMeStatus
    /// Command specific result (CQE DW0).
    public var dword0: UInt32

    /// A result.
    @inlinable public init(_ status: NVMeStatus, dword0: UInt32 = 0) {
        self.status = status
        self.dword0 = dword0
    }

    /// Success with an optional Dword 0.
    @inlinable public static func success(_ dword0: UInt32 = 0) -> CommandResult { CommandResult(.success, dword0: dword0) }
}
