import ENA
import PCIe

/// Errors of the ENA reference driver.
public enum ENADriverError: Error, Equatable, CustomStringConvertible {
    /// The function is not an Elastic Network Adapter (vendor 1d0f, class 02:00:00).
    case notFound(vendorID: UInt16, deviceID: UInt16)
    /// DMA memory could not be allocated.
    case allocation(DMAAllocationError)
    /// A driver parameter is out of range; says which and why.
    case invalidConfiguration(String)
    /// A readless register read got no answer (or an answer for another register) in time.
    case registerReadTimeout(offset: Int)
    /// DEV_STS was not READY before a reset, or the reset handshake did not finish in time.
    case resetTimeout(String)
    /// The device reports a version or DMA width the driver cannot use.
    case unsupported(String)
    /// DEV_STS.FATAL_ERROR is set.
    case deviceFatal(status: UInt32)
    /// No admin completion for command `commandID` (opcode `opcode`) within the admin timeout.
    case adminTimeout(opcode: UInt8, commandID: UInt16)
    /// The device completed admin command `opcode` with a status other than SUCCESS.
    case adminStatus(opcode: UInt8, status: UInt8)
    /// The device does not offer a feature the driver needs.
    case featureMissing(String)
    /// The device answered with values the driver cannot use (a queue index out of range, ...).
    case badReply(String)
    /// The driver is not started (or a reset-and-recover failed).
    case notRunning

    public var description: String {
        switch self {
        case .notFound(let v, let d): "not an ENA (\(String(v, radix: 16)):\(String(d, radix: 16)))"
        case .allocation(let e): "DMA allocation failed: \(e)"
        case .invalidConfiguration(let why): "invalid configuration: \(why)"
        case .registerReadTimeout(let o): "readless read of BAR0+0x\(String(o, radix: 16)) timed out"
        case .resetTimeout(let why): "reset handshake: \(why)"
        case .unsupported(let why): "unsupported device: \(why)"
        case .deviceFatal(let s): "device fatal error (DEV_STS 0x\(String(s, radix: 16)))"
        case .adminTimeout(let op, let id): "admin command \(id) (opcode \(op)) timed out"
        case .adminStatus(let op, let s):
            "admin opcode \(op) failed with status \(s)\(ENAAdminStatus(rawValue: s).map { " (\($0))" } ?? "")"
        case .featureMissing(let what): "device lacks \(what)"
        case .badReply(let why): "bad reply: \(why)"
        case .notRunning: "driver not running"
        }
    }
}
