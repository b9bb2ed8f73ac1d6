import NVMe
import PCIe

/// Illegal opcodes, reserved fields and namespace identifiers (UNH-IOL group 4, tnvme group
/// "illegal opcodes"): reserved and unadvertised admin and NVM opcodes get Invalid Command Opcode
/// (§4.6.1.2.1), reserved values of defined fields get Invalid Field or the command specific
/// code, and namespace identifiers that name no active namespace get Invalid Namespace or Format.
enum NVMeIllegalCommandSuite {
    static let name = "nvme-illegal-commands"

    static func run(_ f: NVMeFixture) -> [CheckResult] {
        [
            f.always(name, "§5 reserved, vendor-specific and unadvertised (OACS) admin opcodes get 0/01") {
                adminOpcodes(f, &$0)
            },
            f.always(name, "§6 reserved, vendor-specific and unadvertised (ONCS) NVM opcodes get 0/01") { ioOpcodes(f, &$0) },
            f.always(name, "§5 reserved CNS, FID, SEL, LID, log offsets, FUSE and PSDT values get 0/02 or 1/09") {
                reservedFields(f, &$0)
            },
            f.always(name, "§6.14 a Read with reserved CDW12 bits is refused with 0/02 or reads the right data") {
                reservedReadBits(f, &$0)
            },
            f.always(name, "§6.1.5 NSIDs 0, beyond NN and FFFFFFFFh get 0/0B where no namespace or broadcast applies") {
                namespaceIDs(f, &$0)
            },
        ]
    }

    /// Admin opcodes no NVMe Base revision defines for this controller class, plus two vendor-specific ones.
    static let reservedAdminOpcodes: [UInt8] = [
        0x03, 0x07, 0x0B, 0x0E, 0x0F, 0x12, 0x13, 0x16, 0x17, 0x1B, 0x1F, 0x30, 0x7E, 0x83, 0xBF, 0xC1, 0xFF,
    ]
    /// Optional admin commands and the OACS bit that advertises them.
    static let optionalAdminOpcodes: [(opcode: UInt8, oacsBit: Int)] = [
        (0x81, 0), (0x82, 0), (0x10, 2), (0x11, 2), (0x0D, 3), (0x15, 3), (0x14, 4), (0x19, 5), (0x1A, 5), (0x1D, 6),
        (0x1E, 6), (0x1C, 7), (0x7C, 8),
    ]
    /// NVM opcodes no revision defines, plus two vendor-specific ones.
    static let reservedIOOpcodes: [UInt8] = [
        0x03, 0x06, 0x07, 0x0A, 0x0B, 0x0F, 0x10, 0x12, 0x13, 0x14, 0x16, 0x17, 0x18, 0x1A, 0x20, 0x7F, 0x80, 0xFF,
    ]
    /// Optional NVM commands and the ONCS bit that advertises them.
    static let optionalIOOpcodes: [(opcode: UInt8, oncsBit: Int)] = [
        (0x05, 0), (0x04, 1), (0x09, 2), (0x08, 3), (0x0D, 5), (0x0E, 5), (0x11, 5), (0x15, 5), (0x0C, 7), (0x19, 8),
    ]

    private static func adminOpcodes(_ f: NVMeFixture, _ r: inout CheckRecorder) {
        guard let admin = f.enable(&r), let id = f.identify(admin, cns: 1, &r) else { return }
        let oacs = NVMeControllerFacts(data: id).optionalAdminCommands
        let unadvertised = optionalAdminOpcodes.filter { oacs & (1 << $0.oacsBit) == 0 }.map(\.opcode)
        for opcode in reservedAdminOpcodes + unadvertised {
            let c = f.admin(opcode, on: admin, nsid: 1, prp1: f.adminData?.address() ?? 0, [10: 1])
            f.expectStatus(&r, c, .invalidOpcode, "admin opcode \(hex(opcode)) (OACS \(hex(oacs)))")
        }
        r.expect(f.ready && !f.fatal, "CSTS \(hex(f.status)) after the illegal admin opcodes")
    }

    private static func ioOpcodes(_ f: NVMeFixture, _ r: inout CheckRecorder) {
        guard let ctx = f.ioContext(&r), let buf = f.buffer(2 * 4096, &r) else { return }
        let oncs = ctx.controller.optionalNVMCommands
        let unadvertised = optionalIOOpcodes.filter { oncs & (1 << $0.oncsBit) == 0 }.map(\.opcode)
        for opcode in reservedIOOpcodes + unadvertised {
            let e = NVMeFixture.command(opcode, nsid: 1, prp1: buf.address(), [12: 0])
            f.expectStatus(&r, f.execute(e, on: ctx.io), .invalidOpcode, "NVM opcode \(hex(opcode)) (ONCS \(hex(oncs)))")
        }
        r.expect(f.ready && !f.fatal, "CSTS \(hex(f.status)) after the illegal NVM opcodes")
    }

    private static func reservedFields(_ f: NVMeFixture, _ r: inout CheckRecorder) {
        guard let ctx = f.ioContext(&r), let data = f.adminData else { return }
        let admin = ctx.admin
        let prp = data.address()
        let identify = AdminOpcode.identify.rawValue
        f.expectStatus(&r, f.admin(identify, on: admin, prp1: prp, [10: 0xFF]), .invalidField, "Identify CNS FFh")
        f.expectStatus(&r, f.admin(AdminOpcode.getFeatures.rawValue, on: admin, [10: 0x00]), .invalidField, "Get Features FID 0")
        f.expectStatus(&r, f.admin(AdminOpcode.setFeatures.rawValue, on: admin, [10: 0x00]), .invalidField, "Set Features FID 0")
        f.expectStatus(
            &r, f.admin(AdminOpcode.getFeatures.rawValue, on: admin, [10: 4 << 8 | 0x07]), .invalidField, "Get Features SEL 4")
        f.expectStatus(&r, f.logPage(admin, 0x50, length: 512).0, .invalidLogPage, "Get Log Page LID 50h")
        f.expectStatus(&r, f.logPage(admin, 0x02, length: 512, offset: 1024).0, .invalidField, "SMART log at offset 1024 of 512")
        f.expectStatus(&r, f.logPage(admin, 0x02, length: 64, offset: 2).0, .invalidField, "SMART log at offset 2")
        var fused = NVMeFixture.command(identify, prp1: prp, [10: 1])
        fused[dword: 0] |= 1 << 8
        f.expectStatus(&r, f.execute(fused, on: admin), .invalidField, "Identify with FUSE=01")
        var sgl = NVMeFixture.command(identify, prp1: prp, [10: 1])
        sgl[dword: 0] |= 1 << 14
        f.expectStatus(&r, f.execute(sgl, on: admin), .invalidField, "Identify with PSDT=01 (SGLs are for I/O commands)")
        if ctx.controller.data.u16(522) & 1 == 0, let buf = f.buffer(4096, &r) {
            var e = NVMeFixture.blockCommand(.read, lba: 0, blocks: 1, prp1: buf.address())
            e[dword: 0] |= 1 << 8
            f.expectStatus(&r, f.execute(e, on: ctx.io), .invalidField, "Read with FUSE=01 while FUSES is 0")
        }
    }

    private static func reservedReadBits(_ f: NVMeFixture, _ r: inout CheckRecorder) {
        guard let ctx = f.ioContext(&r), let buf = f.buffer(2 * 4096, &r) else { return }
        let data = buf.fillPattern(seed: 41, count: ctx.blockSize)
        f.expectStatus(&r, f.transfer(.write, ctx, lba: 40, blocks: 1, buffer: buf), .success, "Write of LBA 40")
        buf.set(0)
        let c = f.execute(
            NVMeFixture.blockCommand(.read, lba: 40, blocks: 1, prp1: buf.address(), cdw12: 0x0300_0000), on: ctx.io)
        guard let c else {
            r.expect(false, "Read with CDW12 bits 25:24 set: no completion")
            return
        }
        if c.status.isSuccess {
            r.expect(buf.bytes(count: ctx.blockSize) == data, "Read with reserved CDW12 bits succeeded with the wrong data")
        } else {
            f.expectStatus(&r, c, .invalidField, "Read with CDW12 bits 25:24 set")
        }
    }

    private static func namespaceIDs(_ f: NVMeFixture, _ r: inout CheckRecorder) {
        guard let ctx = f.ioContext(&r), let buf = f.buffer(4096, &r), let data = f.adminData else { return }
        let nn = ctx.controller.namespaceCount
        for nsid in [0, nn + 1, 0xFFFF_FFFF] {
            let read = NVMeFixture.blockCommand(.read, lba: 0, blocks: 1, prp1: buf.address(), nsid: nsid)
            f.expectStatus(&r, f.execute(read, on: ctx.io), .invalidNamespaceOrFormat, "Read of NSID \(hex(nsid)) (NN \(nn))")
            let write = NVMeFixture.blockCommand(.write, lba: 0, blocks: 1, prp1: buf.address(), nsid: nsid)
            f.expectStatus(&r, f.execute(write, on: ctx.io), .invalidNamespaceOrFormat, "Write of NSID \(hex(nsid))")
        }
        let flush = NVMOpcode.flush.rawValue
        f.expectStatus(
            &r, f.execute(NVMeFixture.command(flush, nsid: 0), on: ctx.io), .invalidNamespaceOrFormat, "Flush of NSID 0")
        if ctx.controller.data.u8(525) & 0x6 == 0x6 {
            let all = f.execute(NVMeFixture.command(flush, nsid: 0xFFFF_FFFF), on: ctx.io)
            f.expectStatus(&r, all, .success, "Flush of NSID FFFFFFFFh (VWC bits 2:1 = 11b)")
        }
        let identify = AdminOpcode.identify.rawValue
        // FFFFFFFFh asks for the capabilities common to all namespaces, which only a controller
        // with Namespace Management (OACS bit 3) answers (UNH-IOL test 9.1 case 6).
        let management = ctx.controller.optionalAdminCommands & (1 << 3) != 0
        for nsid in [0, nn + 1] + (management ? [] : [0xFFFF_FFFF]) {
            let c = f.admin(identify, on: ctx.admin, nsid: nsid, prp1: data.address(), [10: 0])
            f.expectStatus(&r, c, .invalidNamespaceOrFormat, "Identify Namespace of NSID \(hex(nsid)) (NN \(nn))")
        }
        let descriptors = f.admin(identify, on: ctx.admin, nsid: nn + 1, prp1: data.address(), [10: 3])
        f.expectStatus(&r, descriptors, .invalidNamespaceOrFormat, "Identify namespace descriptors of NSID \(hex(nn + 1))")
        let format = f.admin(AdminOpcode.formatNVM.rawValue, on: ctx.admin, nsid: nn + 1, [10: 0])
        f.expectStatus(&r, format, .invalidNamespaceOrFormat, "Format NVM of NSID \(hex(nn + 1))")
    }
}
