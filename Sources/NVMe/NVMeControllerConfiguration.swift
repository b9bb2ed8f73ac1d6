import PCIe

/// What a host profile asks for when it builds an NVMe controller.
public struct NVMeControllerConfiguration: Sendable, Equatable {
    /// Which EC2 controller to be.
    public enum Kind: Sendable, Equatable {
        /// An EBS volume: serial "vol" + the id without its hyphen; `blockDeviceName` (e.g.
        /// "/dev/sdf") goes to the vendor-specific Identify area, space padded.
        case ebs(volumeID: String, blockDeviceName: String)
        /// An instance-storage device with its serial number.
        case instanceStore(serial: String)
    }

    /// Where the namespace's blocks live.
    public enum Backing: Sendable, Equatable {
        /// Anonymous memory reserved lazily (pages cost nothing until written); gone with the controller.
        case memory
        /// A file, read and written with pread/pwrite. Unencrypted contents persist across
        /// controller re-creation ("instance stop/start"); an encrypted file starts erased, because the
        /// key never leaves the controller that made it.
        case file(path: String)
    }

    /// EBS or instance storage.
    public var kind: Kind
    /// Namespace size in bytes (a multiple of 4096).
    public var capacityBytes: UInt64
    /// Logical block size of the initial format: 512 (LBA format 0) or 4096 (LBA format 1).
    public var blockSize: Int
    /// Backing store.
    public var backing: Backing
    /// XTS-AES-256 encryption of every block with a key generated inside the controller. Instance
    /// storage is always encrypted; EBS is configurable (unencrypted by default).
    public var encrypted: Bool
    /// I/O queue pairs the controller grants through Number of Queues (1...255); MSI-X vectors are
    /// one more.
    public var ioQueuePairs: Int
    /// MDTS: the largest transfer is 2^maximumTransferPages pages of 4 KiB (1...9; 5 = 128 KiB).
    public var maximumTransferPages: Int
    /// Virtual time between CC.EN changing and CSTS.RDY following (0: at once, in the same write).
    public var readyDelay: VirtualDuration

    /// A configuration; `encrypted` defaults to true for instance storage and false for EBS.
    public init(
        kind: Kind, capacityBytes: UInt64 = 1 << 30, blockSize: Int = 512, backing: Backing = .memory,
        encrypted: Bool? = nil, ioQueuePairs: Int = 4, maximumTransferPages: Int = 5,
        readyDelay: VirtualDuration = VirtualDuration(nanoseconds: 0)
    ) {
        self.kind = kind
        self.capacityBytes = capacityBytes
        self.blockSize = blockSize
        self.backing = backing
        if case .instanceStore = kind {
            self.encrypted = encrypted ?? true
        } else {
            self.encrypted = encrypted ?? false
        }
        self.ioQueuePairs = ioQueuePairs
        self.maximumTransferPages = maximumTransferPages
        self.readyDelay = readyDelay
    }

    /// Whether this is an EBS volume controller.
    public var isEBS: Bool {
        if case .ebs = kind { return true }
        return false
    }

    /// Identify Controller serial number (SN, at most 20 characters).
    public var serialNumber: String {
        switch kind {
        case .ebs(let volumeID, _): volumeID.replacingHyphens()
        case .instanceStore(let serial): serial
        }
    }

    /// Identify Controller model number (MN).
    public var modelNumber: String { isEBS ? "Amazon Elastic Block Store" : "Amazon EC2 NVMe Instance Storage" }

    /// The block device name EBS reports in the vendor-specific Identify area ("" for instance storage).
    public var blockDeviceName: String {
        if case .ebs(_, let name) = kind { return name }
        return ""
    }

    /// Throws what is wrong with the configuration, if anything.
    func validate() throws(NVMeSetupError) {
        guard capacityBytes >= 4096, capacityBytes % 4096 == 0, capacityBytes <= 1 << 50 else {
            throw .configuration("capacity \(capacityBytes) must be a non-zero multiple of 4096 up to 1 PiB")
        }
        guard blockSize == 512 || blockSize == 4096 else { throw .configuration("block size \(blockSize) is not 512 or 4096") }
        guard (1...NVMe.maximumIOQueuePairs).contains(ioQueuePairs) else {
            throw .configuration("\(ioQueuePairs) I/O queue pairs (1...\(NVMe.maximumIOQueuePairs))")
        }
        guard (1...9).contains(maximumTransferPages) else {
            throw .configuration("MDTS \(maximumTransferPages) outside 1...9")
        }
        guard encrypted || isEBS else { throw .configuration("instance storage is always encrypted") }
        guard serialNumber.utf8.count <= 20, serialNumber.allSatisfy({ $0.isASCII }) else {
            throw .configuration("serial \"\(serialNumber)\" is not at most 20 ASCII characters")
        }
        guard blockDeviceName.utf8.count <= 32, blockDeviceName.allSatisfy({ $0.isASCII }) else {
            throw .configuration("block device name \"\(blockDeviceName)\" is not at most 32 ASCII characters")
        }
    }
}

extension String {
    fileprivate func replacingHyphens() -> String { String(filter { $0 != "-" }) }
}
