/// Wire constants of the vfio-user protocol (QEMU `docs/interop/vfio-user.rst`, protocol 0.0),
/// and the VFIO PCI region and interrupt indices it borrows from `<linux/vfio.h>`.
public enum VFIOUser {
    /// Protocol version this server speaks.
    public static let majorVersion: UInt16 = 0
    /// Minor version this server speaks.
    public static let minorVersion: UInt16 = 0
    /// Size of the message header in bytes.
    public static let headerSize = 16
    /// Largest data transfer (region read or write) this server accepts and announces.
    public static let maxDataTransfer = 1 << 20
    /// Largest message this server reads: a maximal transfer plus its headers. Anything larger
    /// cannot be a valid request and ends the session.
    public static let maxMessageSize = maxDataTransfer + 64
    /// File descriptors one message may carry (announced as `max_msg_fds`).
    public static let maxMessageFileDescriptors = 16
    /// DMA windows a client may have mapped at once (announced as `max_dma_maps`).
    public static let maxDMAMaps = 1024

    /// Message commands.
    public enum Command: UInt16, Sendable, CaseIterable {
        case version = 1
        case dmaMap = 2
        case dmaUnmap = 3
        case deviceGetInfo = 4
        case deviceGetRegionInfo = 5
        case deviceGetRegionIOFDs = 6
        case deviceGetIRQInfo = 7
        case deviceSetIRQs = 8
        case regionRead = 9
        case regionWrite = 10
        case dmaRead = 11
        case dmaWrite = 12
        case deviceReset = 13
        case regionWriteMulti = 15
        case deviceFeature = 16
        case migrationDataRead = 17
        case migrationDataWrite = 18
    }

    /// Header flag bits.
    public enum Flags {
        /// Type field mask (bits 0-3).
        public static let typeMask: UInt32 = 0xf
        /// Type: command.
        public static let command: UInt32 = 0
        /// Type: reply.
        public static let reply: UInt32 = 1
        /// The sender wants no reply.
        public static let noReply: UInt32 = 0x10
        /// The reply reports an error in the error field.
        public static let error: UInt32 = 0x20
    }

    /// VFIO PCI region indices (`VFIO_PCI_*_REGION_INDEX`).
    public enum Region {
        /// BAR 0; BARs 1-5 follow.
        public static let bar0: UInt32 = 0
        /// Expansion ROM.
        public static let rom: UInt32 = 6
        /// Configuration space.
        public static let config: UInt32 = 7
        /// Legacy VGA.
        public static let vga: UInt32 = 8
        /// Number of regions of a PCI device.
        public static let count: UInt32 = 9
    }

    /// `VFIO_REGION_INFO_FLAG_*`.
    public enum RegionFlags {
        /// Readable.
        public static let read: UInt32 = 1
        /// Writable.
        public static let write: UInt32 = 2
        /// Mappable (a file descriptor comes with the reply).
        public static let mmap: UInt32 = 4
        /// A capability chain follows.
        public static let caps: UInt32 = 8
    }

    /// VFIO PCI interrupt indices (`VFIO_PCI_*_IRQ_INDEX`).
    public enum IRQ {
        /// Legacy INTx.
        public static let intx: UInt32 = 0
        /// MSI.
        public static let msi: UInt32 = 1
        /// MSI-X.
        public static let msix: UInt32 = 2
        /// AER error notification.
        public static let error: UInt32 = 3
        /// Device request notification.
        public static let request: UInt32 = 4
        /// Number of interrupt types of a PCI device.
        public static let count: UInt32 = 5
    }

    /// `VFIO_IRQ_INFO_*`.
    public enum IRQInfoFlags {
        /// Can be signalled through an eventfd.
        public static let eventfd: UInt32 = 1
        /// Supports MASK and UNMASK.
        public static let maskable: UInt32 = 2
        /// Masks itself after firing.
        public static let automasked: UInt32 = 4
        /// Vectors are set up as a set.
        public static let noResize: UInt32 = 8
    }

    /// `VFIO_IRQ_SET_*`.
    public enum IRQSetFlags {
        /// No data follows.
        public static let dataNone: UInt32 = 1 << 0
        /// An array of booleans follows.
        public static let dataBool: UInt32 = 1 << 1
        /// Eventfds come as file descriptors.
        public static let dataEventFD: UInt32 = 1 << 2
        /// Mask action.
        public static let actionMask: UInt32 = 1 << 3
        /// Unmask action.
        public static let actionUnmask: UInt32 = 1 << 4
        /// Trigger action.
        public static let actionTrigger: UInt32 = 1 << 5
        /// All data-type bits.
        public static let dataTypes: UInt32 = dataNone | dataBool | dataEventFD
        /// All action bits.
        public static let actions: UInt32 = actionMask | actionUnmask | actionTrigger
    }

    /// `VFIO_DEVICE_FLAGS_*`.
    public enum DeviceFlags {
        /// The device supports reset.
        public static let reset: UInt32 = 1
        /// A PCI device.
        public static let pci: UInt32 = 2
    }

    /// DMA map flags.
    public enum DMAFlags {
        /// The device may read the window.
        public static let read: UInt32 = 1
        /// The device may write the window.
        public static let write: UInt32 = 2
    }
}

/// Error numbers replies carry (Linux values).
public enum VFIOUserErrno: UInt32, Error, Sendable, Equatable {
    /// Operation not permitted.
    case eperm = 1
    /// Bad file descriptor.
    case ebadf = 9
    /// Out of memory.
    case enomem = 12
    /// Bad address.
    case efault = 14
    /// Busy.
    case ebusy = 16
    /// Already exists.
    case eexist = 17
    /// No such device.
    case enodev = 19
    /// Invalid argument.
    case einval = 22
    /// Out of range.
    case erange = 34
    /// Function not implemented.
    case enosys = 38
    /// Message too long.
    case emsgsize = 90
    /// Not supported.
    case enotsup = 95
}

/// The 16-byte header in front of every message.
public struct VFIOUserHeader: Sendable, Equatable {
    /// Message id, echoed in the reply.
    public var id: UInt16
    /// Raw command number.
    public var command: UInt16
    /// Size of the whole message, header included.
    public var size: UInt32
    /// Flags (type, no-reply, error).
    public var flags: UInt32
    /// Error number of an error reply.
    public var error: UInt32

    /// A header from its fields.
    public init(id: UInt16, command: UInt16, size: UInt32, flags: UInt32, error: UInt32 = 0) {
        self.id = id
        self.command = command
        self.size = size
        self.flags = flags
        self.error = error
    }

    /// Decodes the first 16 bytes of `bytes` (little-endian host order); nil when too short.
    public init?<Bytes: Collection<UInt8>>(decoding bytes: Bytes) where Bytes.Index == Int {
        guard bytes.count >= VFIOUser.headerSize else { return nil }
        var reader = ByteReader(bytes)
        id = reader.u16()
        command = reader.u16()
        size = reader.u32()
        flags = reader.u32()
        error = reader.u32()
    }

    /// Whether the sender asked for no reply.
    public var wantsNoReply: Bool { flags & VFIOUser.Flags.noReply != 0 }
    /// Whether this is a command (not a reply).
    public var isCommand: Bool { flags & VFIOUser.Flags.typeMask == VFIOUser.Flags.command }

    /// Appends the encoded header to `out`.
    public func encode(into out: inout [UInt8]) {
        out.appendLittleEndian(id)
        out.appendLittleEndian(command)
        out.appendLittleEndian(size)
        out.appendLittleEndian(flags)
        out.appendLittleEndian(error)
    }
}
