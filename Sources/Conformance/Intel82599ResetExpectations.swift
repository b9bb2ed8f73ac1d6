import Intel82599
import Network
import RegisterModel

/// The PF register values the datasheet requires once CTRL.RST has completed (§8.2.3), for
/// callers outside the conformance suites (the fuzzers' reset invariant).
public enum Intel82599ResetExpectations {
    /// Registers of the PF block that do not read their reset value, as "NAME(n) at 0xOFFSET:
    /// reads V, expected E"; `read` reads a 32-bit PF register, `permanentAddress` is the EEPROM's.
    public static func mismatches(permanentAddress: MACAddress, read: (Int) -> UInt32) -> [String] {
        var found: [String] = []
        Intel82599RegisterSuite.forEachInstance(PFR.block) { reg, n, at in
            let expected = Intel82599RegisterSuite.expectedAfterReset(permanentAddress: permanentAddress, reg, n)
            let value = UInt64(read(at))
            guard value & expected.mask != expected.value & expected.mask else { return }
            let name = reg.count > 1 ? "\(reg.name)(\(n))" : reg.name
            found.append(
                "\(name) at \(hex(at)): reads \(hex(value & expected.mask)), expected \(hex(expected.value & expected.mask))")
        }
        return found
    }
}
