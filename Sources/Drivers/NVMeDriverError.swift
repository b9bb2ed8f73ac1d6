import NVMe
import PCIe

/// Errors of the NVMe reference driver.
public enum NVMeDriverError: Error, Equatable, CustomStringConvertible {
    /// The function is not an NVM Express controller (class code 01:08:02).
    case notFound(vendorID: UInt16, deviceID: UInt16, classCode: UInt32)
    /// DMA memory could not be allocated.
    case allocation(DMAAllocationError)
    /// A driver parameter is out of range; says which and why.
    case invalidConfiguration(String)
    /// The controller lacks something the driver needs (a page size, the NVM command set, NSSR, ...).
    case unsupported(String)
    /// CSTS.CFS is set: the controller hit a fatal error. `status` is CSTS.
    case controllerFatal(status: UInt32)
    /// CSTS.RDY did not become `ready` within CAP.TO.
    case readyTimeout(ready: Bool)
    /// CSTS.SHST did not report shutdown complete in time.
    case shutdownTimeout
    /// CSTS read all ones while waiting for the controller: it is gone (removed, or the function
    /// no longer decodes its BAR), so waiting out CAP.TO cannot help (Linux's `nvme_wait_ready`
    /// returns -ENODEV on the same read).
    case deviceRemoved
    /// The controller completed the command with an error status.
    case command(NVMeStatus)
    /// No completion for command `commandID` on I/O queue `queue` within the command timeout.
    /// Queues are numbered as in the I/O API (from 0); the admin queue is -1.
    case timeout(queue: Int, commandID: UInt16)
    /// The command was outstanding when the controller was reset; it did not complete.
    /// `queue` as in ``timeout(queue:commandID:)``.
    case abortedByReset(queue: Int, commandID: UInt16)
    /// Every command slot of I/O queue `queue` (-1: the admin queue) is in flight.
    case queueFull(queue: Int)
    /// No such I/O queue.
    case noSuchQueue(Int)
    /// No active namespace with this id.
    case noSuchNamespace(UInt32)
    /// A data transfer the driver cannot describe: buffer too small, misaligned, beyond MDTS.
    case invalidTransfer(String)
    /// The controller is not running (start failed, or a reset did not complete).
    case notRunning
    /// The sanitize operation ended in failure (sanitize status log SSTAT).
    case sanitizeFailed(NVMeSanitizeStatus)
    /// The sanitize operation was still in progress when the erase timeout passed.
    case sanitizeTimeout(NVMeSanitizeStatus)

    public var description: String {
        switch self {
        case .notFound(let v, let d, let c):
            "not an NVMe controller (\(String(v, radix: 16)):\(String(d, radix: 16)) class \(String(c, radix: 16)))"
        case .allocation(let e): "DMA allocation failed: \(e)"
        case .invalidConfiguration(let why): "invalid configuration: \(why)"
        case .unsupported(let what): "controller does not support \(what)"
        case .controllerFatal(let csts): "controller fatal status (CSTS 0x\(String(csts, radix: 16)))"
        case .readyTimeout(let ready): "CSTS.RDY did not become \(ready ? 1 : 0) within CAP.TO"
        case .shutdownTimeout: "CSTS.SHST did not report shutdown complete"
        case .deviceRemoved: "the controller reads all ones (removed, or its BAR not decoded)"
        case .command(let status): "command failed with status \(status)"
        case .timeout(let q, let cid): "no completion for command \(cid) on \(Self.queueName(q))"
        case .abortedByReset(let q, let cid): "command \(cid) on \(Self.queueName(q)) aborted by controller reset"
        case .queueFull(let q): "\(Self.queueName(q)) has no free command slot"
        case .noSuchQueue(let q): "no I/O queue \(q)"
        case .noSuchNamespace(let ns): "no active namespace \(ns)"
        case .invalidTransfer(let why): "invalid transfer: \(why)"
        case .notRunning: "controller not running"
        case .sanitizeFailed(let s): "sanitize failed (\(s))"
        case .sanitizeTimeout(let s): "sanitize still in progress at the timeout (\(s))"
        }
    }

    private static func queueName(_ queue: Int) -> String { queue < 0 ? "the admin queue" : "I/O queue \(queue)" }
}

/// One completion as ``NVMeDriver/reap(queue:into:)`` hands it out.
public struct NVMeCompletion: Sendable, Equatable {
    /// The command identifier ``NVMeDriver`` returned when the command was submitted.
    public var commandID: UInt16
    /// Completion status.
    public var status: NVMeStatus
    /// Command specific result (CQE DW0).
    public var dword0: UInt32

    /// A completion.
    @inlinable public init(commandID: UInt16 = 0, status: NVMeStatus = .success, dword0: UInt32 = 0) {
        self.commandID = commandID
        self.status = status
        self.dword0 = dword0
    }

    /// The status the driver gives commands that were outstanding when the controller was reset:
    /// 3/71 Command Aborted By Host (path related), as Linux does.
    public static let abortedByResetStatus = NVMeStatus(type: 3, code: 0x71)
}
