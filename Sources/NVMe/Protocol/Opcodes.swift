/// Admin command set opcodes (NVMe Base §5).
public enum AdminOpcode: UInt8, Sendable, CaseIterable {
    case deleteIOSQ = 0x00
    case createIOSQ = 0x01
    case getLogPage = 0x02
    case deleteIOCQ = 0x04
    case createIOCQ = 0x05
    case identify = 0x06
    case abort = 0x08
    case setFeatures = 0x09
    case getFeatures = 0x0A
    case asyncEventRequest = 0x0C
    case firmwareCommit = 0x10
    case firmwareImageDownload = 0x11
    case keepAlive = 0x18
    case formatNVM = 0x80
    case securitySend = 0x81
    case securityReceive = 0x82
    case sanitize = 0x84
}

/// NVM command set opcodes (NVM Command Set Specification §3).
public enum NVMOpcode: UInt8, Sendable, CaseIterable {
    case flush = 0x00
    case write = 0x01
    case read = 0x02
    case writeUncorrectable = 0x04
    case compare = 0x05
    case writeZeroes = 0x08
    case datasetManagement = 0x09
    case verify = 0x0C
}
