/// The driver's own view of the 82599 advanced descriptors (datasheet §7.1.6 and §7.2.3.2),
/// written from the datasheet rather than borrowed from the device model, so a layout mistake
/// on either side shows up in the tests. 16 bytes, little endian.
public enum IxgbeRxDescriptorLayout {
    /// Descriptor size in bytes.
    public static let size = 16
    /// Read format: packet buffer address (8 bytes).
    public static let packetBufferOffset = 0
    /// Read format: header buffer address (8 bytes); its low dword becomes status/error.
    public static let headerBufferOffset = 8
    /// Write-back: extended status (19:0) and errors (31:20).
    public static let statusErrorOffset = 8
    /// Write-back: length of the data in this descriptor's buffer (16 bits).
    public static let lengthOffset = 12
    /// Write-back: stripped VLAN tag (16 bits).
    public static let vlanOffset = 14
}

/// Status and error bits of the advanced receive write-back descriptor.
public enum AdvancedRxDescriptorStatus {
    /// Descriptor done.
    public static let descriptorDone: UInt32 = 1 << 0
    /// End of packet.
    public static let endOfPacket: UInt32 = 1 << 1
    /// The frame carried an 802.1Q tag that was stripped into the descriptor.
    public static let vlanPacket: UInt32 = 1 << 3
    /// The frame came through the internal switch from another pool.
    public static let loopback: UInt32 = 1 << 18
    /// RX data error: the buffer holds no valid data.
    public static let receiveError: UInt32 = 1 << 29
}

/// Advanced transmit data descriptor (DTYP 0x3).
public enum IxgbeTxDescriptorLayout {
    /// Descriptor size in bytes.
    public static let size = 16
    /// Buffer address (8 bytes).
    public static let bufferAddressOffset = 0
    /// cmd_type_len: DTALEN 15:0, DTYP 23:20, DCMD 31:24.
    public static let commandTypeLengthOffset = 8
    /// olinfo_status: STA 3:0 (DD in bit 0 after write-back), PAYLEN 31:14.
    public static let statusOffset = 12
    /// DTYP data, in place.
    public static let typeData: UInt32 = 0x3 << 20
    /// DCMD.EOP: last descriptor of the frame.
    public static let commandEOP: UInt32 = 0x01 << 24
    /// DCMD.IFCS: insert the FCS.
    public static let commandIFCS: UInt32 = 0x02 << 24
    /// DCMD.RS: report status (write DD back).
    public static let commandRS: UInt32 = 0x08 << 24
    /// DCMD.DEXT: advanced descriptor.
    public static let commandDEXT: UInt32 = 0x20 << 24
    /// STA.DD.
    public static let statusDD: UInt32 = 1 << 0
    /// Shift of PAYLEN in olinfo_status.
    public static let payloadLengthShift: UInt32 = 14
    /// Mask of DTALEN.
    public static let lengthMask: UInt32 = 0xFFFF
}
