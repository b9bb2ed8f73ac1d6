import NVMe
import PCIe

/// Scatter gather lists (NVMe Base 1.4 §4.4) for the NVM command set: a Data Block descriptor in
/// the command, a Last Segment of data blocks, and the SGL status codes (0/0D, 0/0F, 0/11).
extension NVMeDataPointerSuite {
    static func sglChecks(_ f: NVMeFixture) -> [CheckResult] {
        [
            f.always(name, "§4.4 an SGL Data Block in the command moves the data (PSDT=1 gets 0/02 without SGLS)") {
                dataBlock(f, &$0)
            },
            f.check(name, "§4.4 an SGL Last Segment of scattered data blocks moves the data in descriptor order") {
                lastSegment(f, &$0)
            },
            f.check(name, "§4.4 SGL lengths short of or beyond the transfer get 0/0F; bad segments 0/0D") { lengths(f, &$0) },
            f.check(name, "§4.4 SGL descriptor types the controller does not support get 0/11") { types(f, &$0) },
        ]
    }

    /// SGL descriptor type codes (Figure 113).
    enum SGLType: UInt8 {
        case dataBlock = 0
        case bitBucket = 1
        case segment = 2
        case lastSegment = 3
        case keyedDataBlock = 4
        case reserved = 7
    }

    /// A block command whose data pointer is one SGL descriptor (PSDT=01).
    static func sglCommand(
        _ opcode: NVMOpcode, lba: UInt64, blocks: Int, address: UInt64, length: Int, type: SGLType = .dataBlock
    ) -> SubmissionEntry {
        var e = NVMeFixture.blockCommand(opcode, lba: lba, blocks: blocks, prp1: address)
        e[dword: 0] |= 1 << 14
        e[dword: 8] = UInt32(truncatingIfNeeded: length)
        e[dword: 9] = UInt32(type.rawValue) << 28
        return e
    }

    /// Stores descriptor `i` of an SGL segment at `base` of `buffer`.
    static func storeDescriptor(_ buffer: DMABuffer, _ i: Int, address: UInt64, length: Int, type: SGLType, base: Int = 0) {
        buffer.storeEntry(2 * i, address, base: base)
        buffer.storeEntry(2 * i + 1, UInt64(length) | UInt64(type.rawValue) << 60, base: base)
    }

    private static func dataBlock(_ f: NVMeFixture, _ r: inout CheckRecorder) {
        guard let ctx = f.ioContext(&r), let src = f.buffer(4 * page, &r), let dst = f.buffer(4 * page, &r) else { return }
        let bytes = 2 * ctx.blockSize
        guard ctx.controller.supportsSGL else {
            let e = sglCommand(.read, lba: 0, blocks: 2, address: dst.address(), length: bytes)
            f.expectStatus(&r, f.execute(e, on: ctx.io), .invalidField, "Read with PSDT=1 while SGLS says no SGLs")
            return
        }
        let data = src.fillPattern(seed: 21, offset: 0x104, count: bytes)
        let w = sglCommand(.write, lba: 600, blocks: 2, address: src.address(0x104), length: bytes)
        f.expectStatus(&r, f.execute(w, on: ctx.io), .success, "Write through an SGL Data Block")
        let plain = readBack(f, ctx, lba: 600, blocks: 2, &r)
        r.expect(plain == data, "SGL write read back plainly: \(plain.map { firstDifference($0, data) } ?? "-")")
        let rd = sglCommand(.read, lba: 600, blocks: 2, address: dst.address(0x30C), length: bytes)
        f.expectStatus(&r, f.execute(rd, on: ctx.io), .success, "Read through an SGL Data Block")
        let got = dst.bytes(offset: 0x30C, count: bytes)
        r.expect(got == data, "SGL read: \(firstDifference(got, data))")
    }

    private static func lastSegment(_ f: NVMeFixture, _ r: inout CheckRecorder) -> Bool {
        guard let ctx = f.ioContext(&r) else { return true }
        guard ctx.controller.supportsSGL else { return false }
        guard let src = f.buffer(4 * page, &r), let segment = f.buffer(page, &r) else { return true }
        let bytes = 2 * ctx.blockSize
        let pieces = [(3 * page + 0x10, 100), (0x40, bytes - 300), (2 * page + 0x800, 200)]
        var data: [UInt8] = []
        for (i, (offset, length)) in pieces.enumerated() {
            data += src.fillPattern(seed: UInt64(30 + i), offset: offset, count: length)
            storeDescriptor(segment, i, address: src.address(offset), length: length, type: .dataBlock)
        }
        let w = sglCommand(
            .write, lba: 608, blocks: 2, address: segment.address(), length: 16 * pieces.count, type: .lastSegment)
        f.expectStatus(&r, f.execute(w, on: ctx.io), .success, "Write through an SGL Last Segment of 3 data blocks")
        let plain = readBack(f, ctx, lba: 608, blocks: 2, &r)
        r.expect(plain == data, "SGL segment write read back plainly: \(plain.map { firstDifference($0, data) } ?? "-")")
        return true
    }

    private static func lengths(_ f: NVMeFixture, _ r: inout CheckRecorder) -> Bool {
        guard let ctx = f.ioContext(&r) else { return true }
        guard ctx.controller.supportsSGL else { return false }
        guard let buf = f.buffer(4 * page, &r), let segment = f.buffer(page, &r) else { return true }
        let bytes = 2 * ctx.blockSize
        let short = sglCommand(.read, lba: 0, blocks: 2, address: buf.address(), length: bytes - 4)
        NVMeDataPointerSuite.expectRefused(f, &r, ctx, short, .dataSGLLengthInvalid, "SGL Data Block 4 bytes short")
        if ctx.controller.sglSupport & (1 << 18) == 0 {
            let long = sglCommand(.read, lba: 0, blocks: 2, address: buf.address(), length: bytes + 512)
            NVMeDataPointerSuite.expectRefused(
                f, &r, ctx, long, .dataSGLLengthInvalid, "SGL Data Block longer (SGLS bit 18 clear)")
        }
        storeDescriptor(segment, 0, address: buf.address(), length: bytes, type: .dataBlock)
        let odd = sglCommand(.read, lba: 0, blocks: 2, address: segment.address(), length: 24, type: .lastSegment)
        NVMeDataPointerSuite.expectRefused(f, &r, ctx, odd, .invalidSGLSegmentDescriptor, "SGL Last Segment of 24 bytes")
        storeDescriptor(segment, 0, address: buf.address(), length: ctx.blockSize, type: .dataBlock)
        storeDescriptor(segment, 1, address: segment.address(0x800), length: 16, type: .segment)
        storeDescriptor(segment, 0, address: buf.address(page), length: ctx.blockSize, type: .dataBlock, base: 0x800)
        let nested = sglCommand(.read, lba: 0, blocks: 2, address: segment.address(), length: 32, type: .lastSegment)
        NVMeDataPointerSuite.expectRefused(f, &r, ctx, nested, .invalidSGLSegmentDescriptor, "SGL Last Segment holding a Segment")
        return true
    }

    private static func types(_ f: NVMeFixture, _ r: inout CheckRecorder) -> Bool {
        guard let ctx = f.ioContext(&r) else { return true }
        guard ctx.controller.supportsSGL else { return false }
        guard let buf = f.buffer(2 * page, &r) else { return true }
        var unsupported: [(SGLType, String)] = [(.reserved, "reserved type 7")]
        if ctx.controller.sglSupport & (1 << 16) == 0 { unsupported.append((.bitBucket, "Bit Bucket (SGLS bit 16 clear)")) }
        if ctx.controller.sglSupport & (1 << 2) == 0 {
            unsupported.append((.keyedDataBlock, "Keyed Data Block (SGLS bit 2 clear)"))
        }
        for (type, what) in unsupported {
            let e = sglCommand(.read, lba: 0, blocks: 1, address: buf.address(), length: ctx.blockSize, type: type)
            NVMeDataPointerSuite.expectRefused(f, &r, ctx, e, .sglDescriptorTypeInvalid, "SGL descriptor of \(what)")
        }
        return true
    }
}
