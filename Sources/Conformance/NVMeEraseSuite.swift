import Drivers
import NVMe
import PCIe

/// Format NVM and Sanitize (UNH-IOL groups "Format NVM" and "Sanitize"): what Identify
/// advertises (OACS, FNA, SANICAP), Secure Erase Settings 1 and 2 (§5.23), switching LBA formats,
/// block and cryptographic erase with the Sanitize Status log (§5.24, §5.14.1.9.2), and the
/// status codes for what is not supported. Erased blocks must read as zeroes.
enum NVMeEraseSuite {
    static let name = "nvme-format-sanitize"
    static let format = AdminOpcode.formatNVM.rawValue
    static let sanitize = AdminOpcode.sanitize.rawValue
    /// LBAs each erase check writes before erasing: the first, the middle and the last.
    static func probes(_ blockCount: UInt64) -> [UInt64] { [0, blockCount / 2, blockCount - 1] }

    static func run(_ f: NVMeFixture) -> [CheckResult] {
        [
            f.always(name, "§5.15.2.1 OACS advertises Format NVM; instance storage advertises crypto erase in FNA and SANICAP") {
                advertised(f, &$0)
            },
            f.always(name, "§5.23 Format NVM SES=1 (user data erase): every block reads zeroes, NUSE is 0") {
                formatErase(f, &$0, ses: 1)
            },
            f.always(name, "§5.23 Format NVM SES=2 (cryptographic erase) erases when FNA bit 2 is set, else 0/02") {
                formatErase(f, &$0, ses: 2)
            },
            f.always(name, "§5.23 Format NVM switches LBA formats (block size, NSZE); beyond NLBAF 1/0A, SES 3-7 0/02") {
                lbaFormats(f, &$0)
            },
            f.always(name, "§5.24 Sanitize block erase: blocks read zeroes; log 81h says completed, SCDW10, Global Data Erased") {
                sanitizeErase(f, &$0, action: 2)
            },
            f.always(name, "§5.24 Sanitize crypto erase erases when SANICAP.CES is set, else 0/02; log 81h as above") {
                sanitizeErase(f, &$0, action: 4)
            },
            f.always(name, "§5.24 reserved and unsupported Sanitize actions and NDAS with SANICAP.NDI get 0/02") {
                sanitizeRefusals(f, &$0)
            },
        ]
    }

    /// Whether the namespace is encrypted at rest: the rig says so, or the device is instance storage.
    static func expectsEncryption(_ f: NVMeFixture) -> Bool {
        f.rig.encrypted ?? (f.function.deviceID == NVMe.instanceStoreDeviceID)
    }

    private static func advertised(_ f: NVMeFixture, _ r: inout CheckRecorder) {
        guard let admin = f.enable(&r), let id = f.identify(admin, cns: 1, &r) else { return }
        let c = NVMeControllerFacts(data: id)
        r.expect(c.optionalAdminCommands & 0x2 != 0, "OACS \(hex(c.optionalAdminCommands)) does not advertise Format NVM")
        if expectsEncryption(f) {
            r.expect(
                c.formatCryptoErase, "encrypted namespace but FNA \(hex(c.formatAttributes)) lacks cryptographic erase (bit 2)")
            r.expect(c.sanitizeCryptoErase, "encrypted namespace but SANICAP \(hex(c.sanitizeCapabilities)) lacks CES")
        }
        r.expect(
            c.sanitizeCapabilities & 0x7 == 0 || c.sanitizeBlockErase || c.sanitizeCryptoErase || c.sanitizeOverwrite,
            "SANICAP inconsistent")
    }

    /// Writes a pattern to the probe LBAs; the LBAs.
    static func fillProbes(_ f: NVMeFixture, _ ctx: NVMeIOContext, _ r: inout CheckRecorder) -> [UInt64] {
        guard let buf = f.buffer(ctx.blockSize, &r) else { return [] }
        let lbas = probes(ctx.blockCount)
        for lba in lbas {
            buf.fillPattern(seed: lba &+ 90)
            f.expectStatus(&r, f.transfer(.write, ctx, lba: lba, blocks: 1, buffer: buf), .success, "Write of LBA \(lba)")
        }
        return lbas
    }

    /// Expects every probe LBA to read as zeroes through fresh queues.
    static func expectZeroes(_ f: NVMeFixture, _ lbas: [UInt64], _ what: String, _ r: inout CheckRecorder) {
        guard let ctx = f.ioContext(&r) else { return }
        for lba in lbas {
            let back = NVMeDataPointerSuite.readBack(f, ctx, lba: min(lba, ctx.blockCount - 1), blocks: 1, &r)
            r.expect(back?.allSatisfy { $0 == 0 } == true, "\(what): LBA \(lba) does not read as zeroes")
        }
    }

    private static func formatErase(_ f: NVMeFixture, _ r: inout CheckRecorder, ses: UInt32) {
        guard let ctx = f.ioContext(&r) else { return }
        let lbas = fillProbes(f, ctx, &r)
        let cdw10 = UInt32(ctx.namespace.formatIndex) | ses << 9
        let c = f.admin(format, on: ctx.admin, nsid: 1, [10: cdw10])
        if ses == 2 && !ctx.controller.formatCryptoErase {
            f.expectStatus(&r, c, .invalidField, "Format NVM SES=2 while FNA bit 2 is clear")
            return
        }
        f.expectStatus(&r, c, .success, "Format NVM SES=\(ses)")
        expectZeroes(f, lbas, "after Format NVM SES=\(ses)", &r)
        guard let admin = f.enable(&r), let ns = f.identify(admin, cns: 0, nsid: 1, &r) else { return }
        r.expect(
            NVMeNamespaceFacts(data: ns).utilization == 0, "NUSE \(NVMeNamespaceFacts(data: ns).utilization) after the erase")
    }

    private static func lbaFormats(_ f: NVMeFixture, _ r: inout CheckRecorder) {
        guard let ctx = f.ioContext(&r) else { return }
        let ns = ctx.namespace
        let capacity = ns.size * UInt64(ns.blockSize)
        let original = ns.formatIndex
        for i in (0..<ns.formatCount).reversed() + [original] where ns.metadataSize(ofFormat: i) == 0 {
            f.expectStatus(
                &r, f.admin(format, on: ctx.admin, nsid: 1, [10: UInt32(i)]), .success, "Format NVM to LBA format \(i)")
            guard let data = f.identify(ctx.admin, cns: 0, nsid: 1, &r) else { return }
            let now = NVMeNamespaceFacts(data: data)
            r.expect(now.formatIndex == i, "FLBAS \(now.formatIndex) after formatting to \(i)")
            r.expect(
                now.blockSize == ns.dataSize(ofFormat: i),
                "block size \(now.blockSize) in format \(i), LBAF says \(ns.dataSize(ofFormat: i))")
            r.expect(
                now.size * UInt64(now.blockSize) == capacity,
                "format \(i): NSZE \(now.size) x \(now.blockSize) is not \(capacity) bytes")
        }
        let beyond = f.admin(format, on: ctx.admin, nsid: 1, [10: UInt32(ns.formatCount)])
        f.expectStatus(&r, beyond, .invalidFormat, "Format NVM to LBA format \(ns.formatCount) (NLBAF \(ns.formatCount - 1))")
        for ses: UInt32 in 3...7 {
            let c = f.admin(format, on: ctx.admin, nsid: 1, [10: UInt32(original) | ses << 9])
            f.expectStatus(&r, c, .invalidField, "Format NVM SES=\(ses)")
        }
    }

    /// Polls the Sanitize Status log until it no longer says in progress; the page.
    static func sanitizeStatus(_ f: NVMeFixture, _ admin: NVMeRawQueue, _ r: inout CheckRecorder) -> NVMeData? {
        var page: NVMeData?
        let done = f.poll(every: .milliseconds(10), timeout: .seconds(600)) {
            let (c, data) = f.logPage(admin, 0x81, length: 512)
            guard c?.status.isSuccess == true else { return true }
            page = data
            return data.u16(2) & 0x7 != 2
        }
        r.expect(done && page != nil, "Sanitize Status log unreadable or still in progress after 600 s")
        return page
    }

    private static func sanitizeErase(_ f: NVMeFixture, _ r: inout CheckRecorder, action: UInt32) {
        guard let ctx = f.ioContext(&r) else { return }
        let supported = action == 2 ? ctx.controller.sanitizeBlockErase : ctx.controller.sanitizeCryptoErase
        let lbas = fillProbes(f, ctx, &r)
        let c = f.admin(sanitize, on: ctx.admin, [10: action])
        guard supported else {
            f.expectStatus(
                &r, c, .invalidField, "Sanitize action \(action) not in SANICAP \(hex(ctx.controller.sanitizeCapabilities))")
            return
        }
        f.expectStatus(&r, c, .success, "Sanitize action \(action)")
        guard let page = sanitizeStatus(f, ctx.admin, &r) else { return }
        let sstat = page.u16(2)
        r.expect(sstat & 0x7 == 1, "SSTAT \(hex(sstat)): status \(sstat & 7), expected 1 (completed)")
        r.expect(sstat & 0x100 != 0, "SSTAT \(hex(sstat)): Global Data Erased clear right after the sanitize")
        r.expect(page.u32(4) == action, "SCDW10 \(hex(page.u32(4))), expected \(hex(action))")
        r.expect(page.u16(0) == 0xFFFF, "SPROG \(hex(page.u16(0))) with no sanitize in progress, expected FFFFh")
        expectZeroes(f, lbas, "after Sanitize action \(action)", &r)
    }

    private static func sanitizeRefusals(_ f: NVMeFixture, _ r: inout CheckRecorder) {
        guard let ctx = f.ioContext(&r) else { return }
        let sanicap = ctx.controller.sanitizeCapabilities
        guard sanicap & 0x7 != 0 else {
            f.expectStatus(&r, f.admin(sanitize, on: ctx.admin, [10: 2]), .invalidOpcode, "Sanitize with SANICAP 0")
            return
        }
        for action: UInt32 in [0, 5, 6, 7] {
            f.expectStatus(
                &r, f.admin(sanitize, on: ctx.admin, [10: action]), .invalidField, "Sanitize action \(action) (reserved)")
        }
        if !ctx.controller.sanitizeOverwrite {
            f.expectStatus(&r, f.admin(sanitize, on: ctx.admin, [10: 3 | 1 << 4]), .invalidField, "Sanitize overwrite, OWS clear")
        }
        if sanicap & (1 << 29) != 0 {
            let action: UInt32 = ctx.controller.sanitizeBlockErase ? 2 : 4
            let c = f.admin(sanitize, on: ctx.admin, [10: action | 1 << 9])
            f.expectStatus(&r, c, .invalidField, "Sanitize with No-Deallocate while SANICAP.NDI is set")
        }
    }
}
