import Foundation
import PCIe
import Yams

/// The kinds of device a profile can place.
public enum DeviceKind: String, Codable, Sendable, CaseIterable {
    /// A Type 0 host bridge function (Intel 440FX, as EC2 instances show at 00:00.0).
    case hostBridge = "host-bridge"
    /// The DeviceBench DMA engine (PF, optionally with SR-IOV VFs).
    case dmaEngine = "dma-engine"
    /// An Intel 82599 10 GbE PF (up to 64 SR-IOV VFs) with its port cabled to a peer host.
    case intel82599 = "intel-82599"
    /// A Nitro-style NVMe controller for an EBS volume (1d0f:8061).
    case nvmeEBS = "nvme-ebs"
    /// A Nitro-style NVMe instance-storage controller (1d0f:cd01), always encrypted.
    case nvmeInstanceStore = "nvme-instance-store"
    /// An Elastic Network Adapter (1d0f:ec20) with the Nitro traffic allowances in front of its port.
    case ena = "ena"

    /// Whether this is one of the NVMe controllers.
    public var isNVMe: Bool { self == .nvmeEBS || self == .nvmeInstanceStore }
}

/// One device in a profile.
public struct DeviceEntry: Codable, Sendable, Equatable {
    /// What it is.
    public var kind: DeviceKind
    /// Where: `BB:DD.F`.
    public var slot: String
    /// SR-IOV: TotalVFs the PF offers (0: no SR-IOV capability).
    public var totalVFs: Int?
    /// SR-IOV: VFs the host enables at bring-up.
    public var vfs: Int?
    /// Device serial number (Device Serial Number capability).
    public var serial: UInt64?
    /// NVMe: namespace size in MiB (default 1024).
    public var capacityMiB: Int?
    /// NVMe: logical block size of the initial format, 512 or 4096 (default 512).
    public var blockSize: Int?
    /// NVMe: I/O queue pairs, one per vCPU of the instance (default 2). ENA: IO queue pairs (default 2).
    public var queues: Int?
    /// NVMe EBS: the volume id ("vol-..."), reported as the serial number without its hyphen.
    public var volumeID: String?
    /// NVMe EBS: the block device name reported in the vendor-specific Identify area.
    public var blockDeviceName: String?
    /// NVMe: a file backing the namespace (persists across runs, unencrypted EBS); memory if absent.
    public var backingFile: String?
    /// NVMe EBS: encrypt the volume's blocks with a controller key (default false; instance
    /// storage is always encrypted).
    public var encrypted: Bool?
    /// ENA: the MAC address ("02:..."; default derived from the slot).
    public var mac: String?
    /// ENA: Tx descriptors in the LLQ BAR (true) or in host memory (false, the default).
    public var llq: Bool?
    /// ENA: the packets-per-second allowance (0: none; default EC2-like 1 M).
    public var allowancePPS: UInt64?
    /// ENA: packets that pass back to back before the pps allowance applies (default 4096).
    public var allowanceBurst: UInt64?
    /// ENA: the bandwidth allowance each way in Mb/s (0: none; default 10000).
    public var allowanceMbps: UInt64?
    /// ENA: the slot of an intel-82599 whose port shares the ENA's Ethernet segment (default:
    /// the ENA has a wire of its own, with a peer host).
    public var wire: String?

    /// Creates an entry.
    public init(
        kind: DeviceKind, slot: String, totalVFs: Int? = nil, vfs: Int? = nil, serial: UInt64? = nil,
        capacityMiB: Int? = nil, blockSize: Int? = nil, queues: Int? = nil, volumeID: String? = nil,
        blockDeviceName: String? = nil, backingFile: String? = nil, encrypted: Bool? = nil, mac: String? = nil,
        llq: Bool? = nil, allowancePPS: UInt64? = nil, allowanceBurst: UInt64? = nil, allowanceMbps: UInt64? = nil,
        wire: String? = nil
    ) {
        self.kind = kind
        self.slot = slot
        self.totalVFs = totalVFs
        self.vfs = vfs
        self.serial = serial
        self.capacityMiB = capacityMiB
        self.blockSize = blockSize
        self.queues = queues
        self.volumeID = volumeID
        self.blockDeviceName = blockDeviceName
        self.backingFile = backingFile
        self.encrypted = encrypted
        self.mac = mac
        self.llq = llq
        self.allowancePPS = allowancePPS
        self.allowanceBurst = allowanceBurst
        self.allowanceMbps = allowanceMbps
        self.wire = wire
    }
}

/// A virtual host topology: which devices sit where.
public struct HostProfile: Codable, Sendable, Equatable {
    /// Profile name.
    public var name: String
    /// One line saying what it models.
    public var description: String
    /// Devices.
    public var devices: [DeviceEntry]

    /// Creates a profile.
    public init(name: String, description: String, devices: [DeviceEntry]) {
        self.name = name
        self.description = description
        self.devices = devices
    }

    /// The decoder every parse uses, made once: making a `YAMLDecoder` evaluates Yams' default
    /// encoding, which reads the whole process environment (YAMS_DEFAULT_ENCODING) each time, a
    /// third of the host-profile fuzz target's time. Never mutated after it is made, and
    /// `decode` only reads its options (each call makes its own parser), so sharing it is safe.
    private nonisolated(unsafe) static let decoder = YAMLDecoder(encoding: .utf8)

    /// Parses a profile from YAML text.
    public static func parse(yaml: String, source: String = "<profile>") throws(HostError) -> HostProfile {
        do {
            // The node reader gives what the decoder gives (values and errors) on the documents
            // it reads, and leaves the rest (anchors, explicit tags, merge keys) to the decoder.
            if let profile = try ProfileNodeDecoder.read(yaml) { return profile }
            return try decoder.decode(HostProfile.self, from: yaml)
        } catch {
            throw .invalidProfile(source, "\(error)")
        }
    }

    /// `parse(yaml:source:)` through `YAMLDecoder` alone: the reference the node reader is held
    /// to (`ProfileDecodingTests`).
    static func parseWithYAMLDecoder(yaml: String, source: String = "<profile>") throws(HostError) -> HostProfile {
        do {
            return try decoder.decode(HostProfile.self, from: yaml)
        } catch {
            throw .invalidProfile(source, "\(error)")
        }
    }

    /// Loads a profile from a YAML file.
    public static func load(path: String) throws(HostError) -> HostProfile {
        let text: String
        do {
            text = try String(contentsOfFile: path, encoding: .utf8)
        } catch {
            throw .invalidProfile(path, "cannot read: \(error.localizedDescription)")
        }
        return try parse(yaml: text, source: path)
    }

    /// A built-in profile by name, or a file path.
    public static func named(_ nameOrPath: String) throws(HostError) -> HostProfile {
        if let text = BuiltinProfiles.yaml[nameOrPath] { return try parse(yaml: text, source: "builtin:\(nameOrPath)") }
        if FileManager.default.fileExists(atPath: nameOrPath) { return try load(path: nameOrPath) }
        throw .unknownProfile(nameOrPath, BuiltinProfiles.names)
    }

    /// Checks slots, kinds and VF counts; returns the problems found.
    public func validate() -> [String] {
        var problems: [String] = []
        var seen = Set<BDF>()
        for d in devices {
            guard let bdf = BDF(d.slot) else {
                problems.append("slot '\(d.slot)' is not BB:DD.F")
                continue
            }
            if !seen.insert(bdf).inserted { problems.append("slot \(bdf) used twice") }
            let total = d.totalVFs ?? 0
            let vfs = d.vfs ?? 0
            if total < 0 || total > 255 { problems.append("\(bdf): totalVFs \(total) outside 0...255") }
            if vfs < 0 || vfs > total { problems.append("\(bdf): vfs \(vfs) outside 0...totalVFs (\(total))") }
            if d.kind == .hostBridge, total > 0 { problems.append("\(bdf): a host bridge has no SR-IOV") }
            if d.kind == .intel82599, total > 64 { problems.append("\(bdf): an 82599 offers at most 64 VFs") }
            if d.kind.isNVMe {
                if total > 0 { problems.append("\(bdf): an NVMe controller has no SR-IOV") }
                if let b = d.blockSize, b != 512, b != 4096 { problems.append("\(bdf): blockSize \(b) is not 512 or 4096") }
                if let c = d.capacityMiB, c < 1 || c > 1 << 24 {
                    problems.append("\(bdf): capacityMiB \(c) outside 1...16777216")
                }
                if let q = d.queues, q < 1 || q > 64 { problems.append("\(bdf): queues \(q) outside 1...64") }
                if d.kind == .nvmeInstanceStore, d.encrypted == false {
                    problems.append("\(bdf): instance storage is always encrypted")
                }
            }
            if d.kind == .ena { problems += enaProblems(d, at: bdf) }
        }
        return problems
    }
}

/// Errors building a host.
public enum HostError: Error, Equatable, CustomStringConvertible {
    /// The profile text is not a valid profile.
    case invalidProfile(String, String)
    /// No built-in profile or file with that name.
    case unknownProfile(String, [String])
    /// The profile is well-formed but inconsistent.
    case inconsistentProfile([String])
    /// The platform refused the configuration.
    case platform(String)

    public var description: String {
        switch self {
        case .invalidProfile(let src, let why): "invalid profile \(src): \(why)"
        case .unknownProfile(let n, let known):
            "no profile '\(n)' (built in: \(known.joined(separator: ", ")); or give a YAML file path)"
        case .inconsistentProfile(let p): "profile problems: \(p.joined(separator: "; "))"
        case .platform(let s): "platform: \(s)"
        }
    }
}
