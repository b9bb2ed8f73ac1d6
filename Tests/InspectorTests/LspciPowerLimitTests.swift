import Testing

@testable import Inspector

/// The slot power limit texts are made once per process; each must be the `%g` text the
/// decoder computes.
@Suite("lspci power limit texts")
struct LspciPowerLimitTests {
    @Test("every (value, scale) text from the table is the computed one")
    func tableMatchesComputed() {
        for scale in 0..<4 {
            for value in 0..<256 {
                #expect(
                    ExpressRegisters.powerLimit(value: value, scale: scale)
                        == ExpressRegisters.powerLimitText(value: value, scale: scale), "value \(value) scale \(scale)")
            }
        }
        #expect(ExpressRegisters.powerLimit(value: 0xff, scale: 0) == ">600W")
        #expect(ExpressRegisters.powerLimit(value: 0xf1, scale: 0) == "275W")
        #expect(ExpressRegisters.powerLimit(value: 25, scale: 1) == "2.5W")
    }
}
