import Inspector
import Testing

/// The database caches the `...Text` answers per id and style; a cached answer must be the one a
/// fresh database gives, for every style, also after the cache has been emptied at its limit.
@Suite struct PCINameTextCacheTests {
    static let styles: [PCINameStyle] = [.names, .numeric, .mixed]
    /// Known and unknown vendors, devices, classes and subsystems.
    static let devices: [(UInt16, UInt16)] = [(0x8086, 0x10fb), (0x1d0f, 0xec20), (0x8086, 0xbeef), (0x1234, 0x5678)]
    static let classes: [UInt16] = [0x0200, 0x0108, 0x0c03, 0xff00, 0x0280, 0x1234]

    func answers(_ names: PCINameDatabase) -> [String] {
        var out: [String] = []
        for style in Self.styles {
            for code in Self.classes { out.append(names.classText(code, style: style)) }
            for (vendor, device) in Self.devices {
                out.append(names.vendorDeviceText(vendor: vendor, device: device, style: style))
                out.append(
                    names.subsystemText(
                        vendor: vendor, device: device, subsystemVendor: 0x8086, subsystemDevice: 0x0003, style: style))
            }
        }
        return out
    }

    @Test func cachedAnswersAreFreshAnswersForEveryStyle() throws {
        let reference = answers(try PCINameDatabase())
        let names = try PCINameDatabase()
        #expect(answers(names) == reference)
        // Asked again (now from the cache), in another order of styles.
        #expect(answers(names) == reference)
        for style in Self.styles.reversed() {
            #expect(names.classText(0x0200, style: style) == reference[Self.styles.firstIndex(of: style)! * 14])
        }
        // Past the limit the cache is emptied and refilled; the answers stay the same.
        for code in 0..<UInt16(5000) { _ = names.classText(code, style: .mixed) }
        #expect(answers(names) == reference)
    }
}
