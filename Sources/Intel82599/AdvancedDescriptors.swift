/// Byte layouts of the 82599 advanced receive and transmit descriptors (datasheet §7.1.6 and
/// §7.2.3.2). All descriptors are 16 bytes, little endian; rings are multiples of 128 bytes
/// (eight descriptors).
public enum AdvancedRxDescriptor {
    /// Descriptor size in bytes.
    public static let size = 16
    /// Read format: packet buffer address (8 bytes).
    public static let packetBufferOffset = 0
    /// Read format: header buffer address (8 bytes); bit 0 of this field becomes DD on write-back.
    public static let headerBufferOffset = 8

    /// Write-back: packet type (15:4) and RSS type (3:0), 32 bits.
    public static let packetInfoOffset = 0
    /// Write-back: RSS hash, 32 bits.
    public static let rssHashOffset = 4
    /// Write-back: extended status (19:0) and errors (31:20), 32 bits.
    public static let statusErrorOffset = 8
    /// Write-back: packet length in this descriptor's buffer, 16 bits.
    public static let lengthOffset = 12
    /// Write-back: stripped VLAN tag, 16 bits.
    public static let vlanOffset = 14

    /// Status: descriptor done.
    public static let statusDD: UInt32 = 1 << 0
    /// Status: end of packet (last descriptor of a frame).
    public static let statusEOP: UInt32 = 1 << 1
    /// Status: the frame was 802.1Q tagged and the tag is in the VLAN field.
    public static let statusVP: UInt32 = 1 << 3
    /// Status: the frame came through the internal switch from another pool (LB, §7.1.6.2).
    public static let statusLB: UInt32 = 1 << 18
    /// Error: the frame could not be delivered whole (RXE); the buffer holds no valid data.
    public static let errorRXE: UInt32 = 1 << 29

    /// Packet type bits (shifted into 15:4 of the packet info): IPv4.
    public static let packetTypeIPv4: UInt32 = 0x1
    /// Packet type: IPv6.
    public static let packetTypeIPv6: UInt32 = 0x4
    /// Packet type: TCP.
    public static let packetTypeTCP: UInt32 = 0x10
    /// Packet type: UDP.
    public static let packetTypeUDP: UInt32 = 0x20
}

/// Advanced transmit descriptors: data (DTYP 0x3) and context (DTYP 0x2), §7.2.3.2.
public enum AdvancedTxDescriptor {
    /// Descriptor size in bytes.
    public static let size = 16
    /// Data: buffer address (8 bytes).
    public static let bufferAddressOffset = 0
    /// Data: cmd_type_len (DTALEN 15:0, DTYP 23:20, DCMD 31:24).
    public static let commandTypeLengthOffset = 8
    /// Data: olinfo_status (STA 3:0, IDX 6:4, CC 7, POPTS 13:8, PAYLEN 31:14). DD lands in STA.
    public static let statusOffset = 12
    /// Context: vlan_macip_lens (IPLEN 8:0, MACLEN 15:9, VLAN 31:16).
    public static let contextVLANOffset = 0

    /// Mask of the data length.
    public static let lengthMask: UInt32 = 0xFFFF
    /// Shift of the descriptor type.
    public static let typeShift: UInt32 = 20
    /// Descriptor type: context.
    public static let typeContext: UInt32 = 0x2
    /// Descriptor type: data.
    public static let typeData: UInt32 = 0x3

    /// DCMD: end of packet.
    public static let commandEOP: UInt32 = 0x01 << 24
    /// DCMD: insert FCS.
    public static let commandIFCS: UInt32 = 0x02 << 24
    /// DCMD: report status (write DD back).
    public static let commandRS: UInt32 = 0x08 << 24
    /// DCMD: descriptor extension (advanced format).
    public static let commandDEXT: UInt32 = 0x20 << 24
    /// DCMD: insert the VLAN tag from the context descriptor.
    public static let commandVLE: UInt32 = 0x40 << 24
    /// DCMD: TCP segmentation (not modelled; such frames are dropped and counted).
    public static let commandTSE: UInt32 = 0x80 << 24

    /// Status: descriptor done.
    public static let statusDD: UInt32 = 1 << 0
    /// Shift of PAYLEN in olinfo_status.
    public static let payloadLengthShift: UInt32 = 14
}
