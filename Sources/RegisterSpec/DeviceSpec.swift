import RegisterModel

/// The PCI capability header a block describes, when it is a capability.
public struct CapabilitySpec: Sendable, Equatable {
    /// Capability ID (8 bits for classic capabilities, 16 bits for extended ones).
    public let id: UInt16
    /// Whether this is a PCI Express extended capability (config space 0x100 and up).
    public let isExtended: Bool
    /// Capability version (extended capabilities carry it in their header; 0 otherwise).
    public let version: UInt8

    /// Creates capability metadata.
    public init(id: UInt16, isExtended: Bool, version: UInt8) {
        self.id = id
        self.isExtended = isExtended
        self.version = version
    }
}

/// One loaded spec file: a register block plus what the generator needs to emit it.
public struct DeviceSpec: Sendable, Equatable {
    /// Path of the YAML file, relative to the repository root (e.g. `DeviceSpecs/pci/msix.yaml`).
    public let sourcePath: String
    /// Swift module the generated file belongs to (`Sources/<module>/Generated/`).
    public let module: String
    /// The register block.
    public let block: RegisterBlock
    /// One-line description of the block, for its doc comment.
    public let summary: String
    /// Capability header metadata, for PCI capabilities.
    public let capability: CapabilitySpec?
    /// One-line descriptions of registers, by register name (absent when the spec gives none).
    public let registerSummaries: [String: String]

    /// Creates a spec.
    public init(
        sourcePath: String, module: String, block: RegisterBlock, summary: String = "",
        capability: CapabilitySpec? = nil, registerSummaries: [String: String] = [:]
    ) {
        self.sourcePath = sourcePath
        self.module = module
        self.block = block
        self.summary = summary
        self.capability = capability
        self.registerSummaries = registerSummaries
    }

    /// Where the generated Swift file goes, relative to the repository root.
    public var outputPath: String { "Sources/\(module)/Generated/\(block.name).swift" }
}
