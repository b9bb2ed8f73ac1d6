import NVMe
import PCIe

/// Little-endian fields of an Identify data structure or log page, read at the offsets the NVMe
/// Base specification gives (independently of the driver's parser).
struct NVMeData {
    let bytes: [UInt8]

    func u8(_ at: Int) -> UInt8 { at < bytes.count ? bytes[at] : 0 }
    func u16(_ at: Int) -> UInt16 { UInt16(u8(at)) | UInt16(u8(at + 1)) << 8 }
    func u32(_ at: Int) -> UInt32 { UInt32(u16(at)) | UInt32(u16(at + 2)) << 16 }
    func u64(_ at: Int) -> UInt64 { UInt64(u32(at)) | UInt64(u32(at + 4)) << 32 }
    /// `length` bytes from `at`.
    func slice(_ at: Int, _ length: Int) -> [UInt8] { Array(bytes[min(at, bytes.count)..<min(at + length, bytes.count)]) }
    /// ASCII text of `length` bytes from `at` with trailing spaces removed.
    func ascii(_ at: Int, _ length: Int) -> String {
        var s = slice(at, length)
        while let last = s.last, last == 0x20 { s.removeLast() }
        return String(decoding: s, as: UTF8.self)
    }
}

/// Identify Controller fields the suites use (NVMe Base 1.4 §5.15.2.1, Figure 247).
struct NVMeControllerFacts {
    let data: NVMeData

    var vendorID: UInt16 { data.u16(0) }
    var subsystemVendorID: UInt16 { data.u16(2) }
    var serialNumber: [UInt8] { data.slice(4, 20) }
    var modelNumber: [UInt8] { data.slice(24, 40) }
    var firmwareRevision: [UInt8] { data.slice(64, 8) }
    /// MDTS in bytes for 4 KiB pages (nil: no limit).
    var maximumTransferBytes: Int? { data.u8(77) == 0 ? nil : 4096 << Int(data.u8(77)) }
    var version: UInt32 { data.u32(80) }
    /// OACS.
    var optionalAdminCommands: UInt16 { data.u16(256) }
    /// AERL (zero-based).
    var asyncEventRequestLimit: Int { Int(data.u8(259)) }
    /// SANICAP.
    var sanitizeCapabilities: UInt32 { data.u32(328) }
    /// NN.
    var namespaceCount: UInt32 { data.u32(516) }
    /// ONCS.
    var optionalNVMCommands: UInt16 { data.u16(520) }
    /// FNA.
    var formatAttributes: UInt8 { data.u8(524) }
    /// SGLS.
    var sglSupport: UInt32 { data.u32(536) }
    /// The vendor-specific area (bytes 3072-4095).
    var vendorSpecific: [UInt8] { data.slice(3072, 1024) }

    /// FNA bit 2: cryptographic erase is supported as part of Format NVM.
    var formatCryptoErase: Bool { formatAttributes & 0x4 != 0 }
    /// SANICAP.CES.
    var sanitizeCryptoErase: Bool { sanitizeCapabilities & 0x1 != 0 }
    /// SANICAP.BES.
    var sanitizeBlockErase: Bool { sanitizeCapabilities & 0x2 != 0 }
    /// SANICAP.OWS.
    var sanitizeOverwrite: Bool { sanitizeCapabilities & 0x4 != 0 }
    /// SGLS bits 1:0: SGLs supported for the NVM command set.
    var supportsSGL: Bool { sglSupport & 0x3 != 0 }
}

/// Identify Namespace fields the suites use (NVM Command Set, Figure 245 of NVMe Base 1.4).
struct NVMeNamespaceFacts {
    let data: NVMeData

    /// NSZE.
    var size: UInt64 { data.u64(0) }
    /// NUSE.
    var utilization: UInt64 { data.u64(16) }
    /// NLBAF + 1.
    var formatCount: Int { Int(data.u8(25)) + 1 }
    /// FLBAS 3:0.
    var formatIndex: Int { Int(data.u8(26) & 0xF) }
    /// LBA data size of format `i` in bytes (0 if not a power of two of at least 512).
    func dataSize(ofFormat i: Int) -> Int {
        let shift = Int((data.u32(128 + 4 * i) >> 16) & 0xFF)
        return shift >= 9 && shift < 32 ? 1 << shift : 0
    }
    /// Metadata size of format `i`.
    func metadataSize(ofFormat i: Int) -> Int { Int(data.u32(128 + 4 * i) & 0xFFFF) }
    /// The block size in use.
    var blockSize: Int { dataSize(ofFormat: formatIndex) }
}

/// Everything an I/O check needs: queues, Identify data and the namespace geometry.
struct NVMeIOContext {
    let admin: NVMeRawQueue
    let io: NVMeRawQueue
    let controller: NVMeControllerFacts
    let namespace: NVMeNamespaceFacts
    var blockSize: Int { namespace.blockSize }
    var blockCount: UInt64 { namespace.size }
    /// Largest transfer in bytes (MDTS, or 1 MiB when the controller sets no limit).
    var maximumTransferBytes: Int { controller.maximumTransferBytes ?? 1 << 20 }
}

extension NVMeFixture {
    /// Blocks namespace 1 must have for the LBAs the suites use (0...1023).
    static let minimumBlocks: UInt64 = 1024

    /// Identify with `cns` for `nsid` into the admin data buffer; the 4096 bytes, or nil with a failure.
    func identify(_ admin: NVMeRawQueue, cns: UInt8, nsid: UInt32 = 0, _ r: inout CheckRecorder) -> NVMeData? {
        guard let data = adminData else {
            r.expect(false, "no admin data buffer")
            return nil
        }
        data.set(0, count: 4096)
        let c = self.admin(AdminOpcode.identify.rawValue, on: admin, nsid: nsid, prp1: data.address(), [10: UInt32(cns)])
        guard let c, c.status.isSuccess else {
            r.expect(false, "Identify CNS \(cns) NSID \(nsid): \(c.map { "\($0.status)" } ?? "no completion")")
            return nil
        }
        return NVMeData(bytes: data.bytes(count: 4096))
    }

    /// Get Log Page `lid`, `length` bytes (a multiple of 4, at most 8 KiB) from `offset`.
    func logPage(
        _ admin: NVMeRawQueue, _ lid: UInt8, length: Int, offset: UInt64 = 0, nsid: UInt32 = 0xFFFF_FFFF
    ) -> (CompletionEntry?, NVMeData) {
        guard let data = adminData else { return (nil, NVMeData(bytes: [])) }
        data.set(0, count: length)
        let dwords = UInt32(length / 4 - 1)
        let prp2: UInt64 = length > 4096 ? data.address(4096) : 0
        let c = self.admin(
            AdminOpcode.getLogPage.rawValue, on: admin, nsid: nsid, prp1: data.address(), prp2: prp2,
            [
                10: UInt32(lid) | (dwords & 0xFFFF) << 16, 11: dwords >> 16, 12: UInt32(truncatingIfNeeded: offset),
                13: UInt32(truncatingIfNeeded: offset >> 32),
            ])
        return (c, NVMeData(bytes: data.bytes(count: length)))
    }

    /// Enables the controller, creates I/O queue pair 1 and reads Identify Controller and
    /// Identify Namespace 1; nil with a failure if any of it fails.
    func ioContext(_ r: inout CheckRecorder, entries: Int = 16) -> NVMeIOContext? {
        guard let (admin, io) = ioSetup(&r, entries: entries),
            let controller = identify(admin, cns: 1, &r), let namespace = identify(admin, cns: 0, nsid: 1, &r)
        else { return nil }
        let ctx = NVMeIOContext(
            admin: admin, io: io, controller: NVMeControllerFacts(data: controller),
            namespace: NVMeNamespaceFacts(data: namespace))
        guard ctx.blockSize >= 512, ctx.blockCount >= Self.minimumBlocks else {
            r.expect(
                false,
                "namespace 1: block size \(ctx.blockSize), NSZE \(ctx.blockCount) (the suites need \(Self.minimumBlocks) blocks)")
            return nil
        }
        rememberFormat(ctx.blockSize)
        return ctx
    }

    /// Writes (or reads) `blocks` blocks at `lba` with `buffer` as one contiguous transfer,
    /// building PRP1/PRP2 and a PRP list (in `list`) as needed; the completion.
    func transfer(
        _ opcode: NVMOpcode, _ ctx: NVMeIOContext, lba: UInt64, blocks: Int, buffer: DMABuffer, offset: Int = 0,
        list: DMABuffer? = nil
    ) -> CompletionEntry? {
        let start = buffer.address(offset)
        let length = blocks * ctx.blockSize
        let firstPage = 4096 - Int(start & 0xFFF)
        var prp2: UInt64 = 0
        if length > firstPage {
            let pages = (length - firstPage + 4095) / 4096
            let next = (start & ~0xFFF) + 4096
            if pages == 1 {
                prp2 = next
            } else if let list {
                for i in 0..<pages { list.storeEntry(i, next + UInt64(i) * 4096) }
                prp2 = list.address()
            }
        }
        return execute(Self.blockCommand(opcode, lba: lba, blocks: blocks, prp1: start, prp2: prp2), on: ctx.io)
    }
}

extension DMABuffer {
    /// Stores PRP entry `i` (8 bytes, little endian) at byte `i * 8` (+ `base`).
    func storeEntry(_ i: Int, _ value: UInt64, base: Int = 0) {
        for b in 0..<8 { host[base + i * 8 + b] = UInt8(truncatingIfNeeded: value >> (8 * b)) }
    }
}
