/// Conversion to and from the 82599 receive-address register pair RAL(n)/RAH(n).
///
/// The datasheet stores the address little endian across the pair: RAL holds octets 0-3 (octet 0,
/// the first on the wire, in bits 7:0) and RAH bits 15:0 hold octets 4-5 (octet 4 in bits 7:0).
extension MACAddress {
    /// RAL(n): octets 0-3, octet 0 in bits 7:0.
    public var receiveAddressLow: UInt32 {
        let octet0 = UInt32(truncatingIfNeeded: value >> 40) & 0xFF
        let octet1 = UInt32(truncatingIfNeeded: value >> 32) & 0xFF
        let octet2 = UInt32(truncatingIfNeeded: value >> 24) & 0xFF
        let octet3 = UInt32(truncatingIfNeeded: value >> 16) & 0xFF
        return octet0 | octet1 << 8 | octet2 << 16 | octet3 << 24
    }

    /// RAH(n) bits 15:0: octets 4-5, octet 4 in bits 7:0 (the Address Valid bit and pool select
    /// are not part of the address).
    public var receiveAddressHigh: UInt16 {
        UInt16(truncatingIfNeeded: value >> 8) & 0xFF | UInt16(truncatingIfNeeded: value) << 8
    }

    /// The address held by RAL(n) and the low 16 bits of RAH(n)
    /// (`UInt16(truncatingIfNeeded: rah)`).
    public init(receiveAddressLow low: UInt32, high: UInt16) {
        let octet0 = UInt64(low & 0xFF)
        let octet1 = UInt64(low >> 8 & 0xFF)
        let octet2 = UInt64(low >> 16 & 0xFF)
        let octet3 = UInt64(low >> 24)
        let octet4 = UInt64(high & 0xFF)
        let octet5 = UInt64(high >> 8)
        self.init(octet0 << 40 | octet1 << 32 | octet2 << 24 | octet3 << 16 | octet4 << 8 | octet5)
    }
}
