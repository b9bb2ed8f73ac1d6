import Drivers
import ENA
import PCIe
import RegisterModel

/// The readless register read (`ena_com_reg_bar_read32`): MMIO_REG_READ with `reg_off << 16 |
/// req_id` makes the device write `{req_id, reg_off, reg_val}` to the MMIO_RESP buffer.
enum ENAReadlessSuite {
    static let name = ENAConformance.Suite.readless.rawValue

    static func run(_ f: ENAFixture) -> [CheckResult] {
        [
            f.always(name, "ena_regs MMIO_REG_READ: the response carries req_id, reg_off and the register's value") {
                answers(f, &$0)
            },
            f.always(name, "ena_regs MMIO_REG_READ: an offset with no register answers 0xffffffff") { noRegister(f, &$0) },
            f.always(name, "ena_regs MMIO_REG_READ: a reset forgets MMIO_RESP; re-armed, reads work during the reset") {
                duringReset(f, &$0)
            },
            f.always(name, "the reference driver's readless reads equal direct reads of every BAR0 register") {
                driverReads(f, &$0)
            },
        ]
    }

    /// Arms MMIO_RESP with a fresh 8-byte buffer; the buffer, or nil (with a failure).
    private static func arm(_ f: ENAFixture, _ r: inout CheckRecorder) -> DMABuffer? {
        guard let response = f.buffer(8, &r) else { return nil }
        f.write32(ER.MMIO_RESP_LO.offset, UInt32(truncatingIfNeeded: response.deviceAddress.value))
        f.write32(ER.MMIO_RESP_HI.offset, UInt32(truncatingIfNeeded: response.deviceAddress.value >> 32))
        return response
    }

    /// Requests `offset` with `id`; the response words (req_id, reg_off, reg_val).
    private static func request(_ f: ENAFixture, _ response: DMABuffer, offset: Int, id: UInt16) -> (UInt16, UInt16, UInt32) {
        response.host.storeBytes(of: id &+ 0xDEAD, as: UInt16.self)
        f.write32(ER.MMIO_REG_READ.offset, UInt32(offset) << 16 | UInt32(id))
        return (
            response.host.load(as: UInt16.self), response.host.load(fromByteOffset: 2, as: UInt16.self),
            response.host.load(fromByteOffset: 4, as: UInt32.self)
        )
    }

    private static func answers(_ f: ENAFixture, _ r: inout CheckRecorder) {
        f.reset(&r)
        guard let response = arm(f, &r) else { return }
        for (n, offset) in [ER.VERSION.offset, ER.CAPS.offset, ER.DEV_STS.offset, ER.CONTROLLER_VERSION.offset].enumerated() {
            let id = UInt16(0x1230 + n)
            let (gotID, gotOffset, value) = request(f, response, offset: offset, id: id)
            r.expect(gotID == id, "read of \(hex(offset)): req_id \(hex(gotID)), expected \(hex(id))")
            r.expect(gotOffset == UInt16(offset), "read of \(hex(offset)): reg_off \(hex(gotOffset))")
            r.expect(
                value == f.read32(offset), "read of \(hex(offset)): \(hex(value)), a direct read gives \(hex(f.read32(offset)))")
        }
    }

    private static func noRegister(_ f: ENAFixture, _ r: inout CheckRecorder) {
        f.reset(&r)
        guard let response = arm(f, &r) else { return }
        let (id, _, value) = request(f, response, offset: 0x0ffc, id: 7)
        r.expect(id == 7, "no response for an offset with no register (req_id \(hex(id)))")
        r.expect(value == 0xFFFF_FFFF, "an offset with no register answered \(hex(value))")
    }

    private static func duringReset(_ f: ENAFixture, _ r: inout CheckRecorder) {
        f.reset(&r)
        guard let response = arm(f, &r) else { return }
        f.write32(ER.DEV_CTL.offset, UInt32(ER.DEV_CTL.devReset.mask))
        let (stale, _, _) = request(f, response, offset: ER.DEV_STS.offset, id: 21)
        r.expect(stale != 21, "the device answered through MMIO_RESP after a reset forgot it")
        _ = arm(f, &r).map { fresh in
            let (id, _, value) = request(f, fresh, offset: ER.DEV_STS.offset, id: 22)
            r.expect(id == 22, "no answer during the reset after MMIO_RESP was re-armed")
            r.expect(ER.DEV_STS.resetInProgress.isSet(in: value), "DEV_STS read readless during the reset: \(hex(value))")
        }
        f.write32(ER.DEV_CTL.offset, 0)
    }

    private static func driverReads(_ f: ENAFixture, _ r: inout CheckRecorder) {
        guard let driver = f.startDriver(&r) else { return }
        r.expect(driver.readless, "the function's revision turns readless reads off")
        let offsets = [
            ER.VERSION.offset, ER.CONTROLLER_VERSION.offset, ER.CAPS.offset, ER.AQ_CAPS.offset, ER.ACQ_CAPS.offset,
            ER.AENQ_CAPS.offset, ER.AENQ_TAIL.offset, ER.ACQ_TAIL.offset, ER.DEV_STS.offset,
        ]
        for offset in offsets {
            do {
                let readless = try driver.readRegister(offset)
                r.expect(
                    readless == f.read32(offset), "\(hex(offset)): readless \(hex(readless)), direct \(hex(f.read32(offset)))")
            } catch {
                r.expect(false, "\(hex(offset)): \(error)")
            }
        }
    }
}
