import PCIe

extension SysfsImporter {
    /// `DDDD:BB:DD.F` → domain and BDF. A name of hex digits, `:` and `.` only (every name
    /// sysfs writes) is taken by bytes: each byte is a `Character` there and holds no sign, so
    /// cutting at the bytes finds the parts ``parseAddressByCharacters(_:)`` finds, and hex
    /// digits read as the standard library reads them. Any other name goes to that function.
    static func parseAddress(_ name: String) -> (domain: UInt16, bdf: BDF)? {
        let parsed = name.utf8.withContiguousStorageIfAvailable { bytes -> (domain: UInt16, bdf: BDF)?? in
            guard bytes.allSatisfy({ HexDigits.value(of: $0) != nil || $0 == UInt8(ascii: ":") || $0 == UInt8(ascii: ".") })
            else { return .none }
            let parts = bytes.split(separator: UInt8(ascii: ":"), omittingEmptySubsequences: false)
            // The domain: four digits; the bus: two; then `:` and the device and function, as
            // `BDF` reads them (empty pieces around the `.` dropped, exactly two left).
            guard parts.count == 3, parts[0].count == 4, let domain = HexDigits.number(parts[0], limit: 0xffff),
                parts[1].count == 2, let bus = HexDigits.number(parts[1], limit: 0xff)
            else { return .some(nil) }
            let devFn = parts[2].split(separator: UInt8(ascii: "."), omittingEmptySubsequences: true)
            guard devFn.count == 2, let device = HexDigits.number(devFn[0], limit: 0xff), device < 32,
                let function = HexDigits.number(devFn[1], limit: 0xff), function < 8
            else { return .some(nil) }
            return .some((UInt16(domain), BDF(bus: UInt8(bus), device: UInt8(device), function: UInt8(function))))
        }
        // Bytes read (an address or nil) when both levels are there; else the `Character` way.
        if case .some(.some(let address)) = parsed { return address }
        return parseAddressByCharacters(name)
    }
}
