import Intel82599
import Network
import RegisterModel

/// The PF register values the datasheet requires once CTRL.RST has completed (§8.2.3), for
/// callers outside the conformance suites (the fuzzers' reset invariant).
public enum Intel82599ResetExpectations {
    /// Registers of the PF block that do not read their reset value, as "NAME(n) at 0xOFFSET:
    /// reads V, expected E"; `read` reads a 32-bit PF register, `permanentAddress` is the EEPROM's.
    public static func mismatches(permanentAddress: MACAddress, read: (Int) -> UInt32) -> [String] {
        Checklist(permanentAddress: permanentAddress).mismatches(read: read)
    }

    /// The expectations of ``mismatches(permanentAddress:read:)`` worked out once: every 32-bit
    /// PF register instance with the value and the bits it must read after CTRL.RST. Callers that
    /// check after many resets (the fuzzers, once per reset operation) keep one and read the
    /// registers against it, instead of matching every register's name again per check.
    public struct Checklist: Sendable {
        struct Entry: Sendable {
            let offset: Int
            let value: UInt64
            let mask: UInt64
            /// Index in `PFR.block.registers`, for the name of a mismatch.
            let register: Int
            let instance: Int
        }
        let entries: [Entry]

        /// The expectations for a port whose EEPROM holds `permanentAddress`.
        public init(permanentAddress: MACAddress) {
            var entries: [Entry] = []
            let registers = PFR.block.registers
            for (index, reg) in registers.enumerated() where reg.width == 4 {
                for n in 0..<reg.count {
                    let expected = Intel82599RegisterSuite.expectedAfterReset(permanentAddress: permanentAddress, reg, n)
                    entries.append(
                        Entry(
                            offset: reg.offset(ofInstance: n), value: expected.value & expected.mask, mask: expected.mask,
                            register: index, instance: n))
                }
            }
            self.entries = entries
        }

        /// Register instances checked (every instance of every 32-bit PF register).
        public var count: Int { entries.count }

        /// The registers that do not read their reset value, in the words and order of
        /// ``Intel82599ResetExpectations/mismatches(permanentAddress:read:)``.
        public func mismatches(read: (Int) -> UInt32) -> [String] {
            var found: [String] = []
            for e in entries {
                let value = UInt64(read(e.offset)) & e.mask
                guard value != e.value else { continue }
                let reg = PFR.block.registers[e.register]
                let name = reg.count > 1 ? "\(reg.name)(\(e.instance))" : reg.name
                found.append("\(name) at \(hex(e.offset)): reads \(hex(value)), expected \(hex(e.value))")
            }
            return found
        }
    }
}
