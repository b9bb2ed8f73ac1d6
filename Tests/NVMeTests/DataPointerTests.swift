import NVMe
import PCIe
import Testing

@Suite("PRP and SGL data pointers (NVMe Base §4.3, §4.4) and DMA isolation")
struct DataPointerTests {
    /// Stores little-endian `value` at `offset` of `buffer`.
    func put(_ buffer: DMABuffer, _ offset: Int, _ value: UInt64) {
        buffer.host.storeBytes(of: value.littleEndian, toByteOffset: offset, as: UInt64.self)
    }

    @Test("PRP1 with a dword offset, the rest through a PRP list that starts mid-page and chains to a second list page")
    func prpListOffsetAndChain() throws {
        let t = try NVMeBench.ready()
        let data = pattern(5 * 4096, seed: 11)
        #expect(try t.write(data, at: 0) == .success)
        let pages = try t.access.allocateDMA(6 * 4096)
        let lists = try t.access.allocateDMA(2 * 4096)
        let offset = 0x204
        // PRP1 covers 4096 - 0x204 bytes; five more pages follow: one entry in the first list page
        // (its last slot chains), four in the second.
        put(lists, 4096 - 16, pages.deviceAddress(at: 4096).value)
        put(lists, 4096 - 8, lists.deviceAddress(at: 4096).value)
        for i in 0..<4 { put(lists, 4096 + 8 * i, pages.deviceAddress(at: 4096 * (i + 2)).value) }
        let c = try t.io(
            .read, blocks: 40, prp1: pages.deviceAddress(at: offset).value, prp2: lists.deviceAddress(at: 4096 - 16).value)
        #expect(c.status == .success)
        #expect(Array(pages.host[offset..<(offset + data.count)]) == data)
    }

    @Test("Encrypted 512-byte blocks straddling pages (PRP1 offset 4) go through the bounce buffer intact")
    func straddlingBlocks() throws {
        let t = try NVMeBench.ready(ebsConfiguration(encrypted: true))
        let data = pattern(8 * 512, seed: 12)
        let out = try t.access.allocateDMA(3 * 4096)
        out.host.copyBytes(from: [UInt8](repeating: 0, count: 4) + data)
        #expect(
            try t.io(.write, blocks: 8, prp1: out.deviceAddress(at: 4).value, prp2: out.deviceAddress(at: 4096).value).status
                == .success)
        let back = try t.access.allocateDMA(3 * 4096)
        #expect(
            try t.io(.read, blocks: 8, prp1: back.deviceAddress(at: 4).value, prp2: back.deviceAddress(at: 4096).value).status
                == .success)
        #expect(Array(back.host[4..<(4 + data.count)]) == data)
        #expect(try t.read(at: 0, blocks: 8).1 == data)
    }

    @Test("PRP errors: PRP1 not dword aligned, PRP2 or list entry with an offset -> PRP Offset Invalid")
    func prpOffsets() throws {
        let t = try NVMeBench.ready()
        let b = try t.access.allocateDMA(4 * 4096)
        let list = try t.access.allocateDMA(4096)
        #expect(try t.io(.read, prp1: b.deviceAddress(at: 2).value).status == .prpOffsetInvalid)
        #expect(
            try t.io(.read, blocks: 16, prp1: b.deviceAddress.value, prp2: b.deviceAddress(at: 4096 + 8).value).status
                == .prpOffsetInvalid)
        put(list, 0, b.deviceAddress(at: 4096).value)
        put(list, 8, b.deviceAddress(at: 8192 + 512).value)
        #expect(
            try t.io(.read, blocks: 24, prp1: b.deviceAddress.value, prp2: list.deviceAddress.value).status == .prpOffsetInvalid)
        #expect(
            try t.io(.read, blocks: 24, prp1: b.deviceAddress.value, prp2: list.deviceAddress(at: 4).value).status
                == .prpOffsetInvalid)
    }

    @Test("PRP entry 0 (PRP1, PRP2, list entry) is Data Transfer Error and writes nothing")
    func prpZero() throws {
        let t = try NVMeBench.ready()
        let b = try t.access.allocateDMA(2 * 4096)
        let list = try t.access.allocateDMA(4096)
        #expect(try t.io(.read, prp1: 0).status == .dataTransferError)
        #expect(try t.io(.read, blocks: 16, prp1: b.deviceAddress.value, prp2: 0).status == .dataTransferError)
        put(list, 0, b.deviceAddress(at: 4096).value)
        #expect(
            try t.io(.read, blocks: 24, prp1: b.deviceAddress.value, prp2: list.deviceAddress.value).status == .dataTransferError)
        #expect(t.guestErrors.last?.detail.contains("PRP list entry is 0") == true)
    }

    @Test("A transfer inside PRP1's page ignores PRP2; its errors are those of the full PRP walk")
    func transferInsideFirstPage() throws {
        let t = try NVMeBench.ready(ebsConfiguration(encrypted: true))
        let data = pattern(4 * 512, seed: 14)
        let b = try t.access.allocateDMA(4096)
        b.host.copyBytes(from: [UInt8](repeating: 0, count: 0x400) + data)
        // PRP2 would be PRP Offset Invalid if it were looked at; four blocks at 0x400 fit PRP1's page.
        #expect(try t.io(.write, slba: 8, blocks: 4, prp1: b.deviceAddress(at: 0x400).value, prp2: 0x123).status == .success)
        #expect(try t.read(at: 8, blocks: 4).1 == data)
        let back = try t.access.allocateDMA(4096)
        #expect(try t.io(.read, slba: 8, blocks: 4, prp1: back.deviceAddress(at: 0x400).value, prp2: 4).status == .success)
        #expect(Array(back.host[0x400..<(0x400 + data.count)]) == data)
        #expect(try t.io(.read, prp1: back.deviceAddress(at: 6).value).status == .prpOffsetInvalid)
        #expect(t.guestErrors.last?.detail.contains("PRP1 offset is not dword aligned") == true)
        #expect(try t.io(.write, prp1: 0).status == .dataTransferError)
        #expect(t.guestErrors.last?.detail.contains("PRP1 is 0") == true)
        let faults = t.bus.services.faults.faults.count
        #expect(try t.io(.read, prp1: 0x7_0000_0000).status == .dataTransferError)
        #expect(t.guestErrors.last?.detail.contains("outside the function's DMA mappings") == true)
        #expect(t.bus.services.faults.faults.count == faults + 1)
        // One block one byte short of the page end is not inside the page: the full walk takes it.
        #expect(try t.io(.read, prp1: back.deviceAddress(at: 4096 - 508).value, prp2: 0).status == .dataTransferError)
        #expect(t.guestErrors.last?.detail.contains("PRP2 is 0") == true)
    }

    @Test("A PRP list whose chain pointer loops back is Invalid Field; the walk never outruns the transfer")
    func prpLoop() throws {
        let t = try NVMeBench.ready()
        let b = try t.access.allocateDMA(2 * 4096)
        let list = try t.access.allocateDMA(4096)
        put(list, 4096 - 16, b.deviceAddress(at: 4096).value)
        put(list, 4096 - 8, list.deviceAddress.value)
        for i in 0..<510 { put(list, 8 * i, b.deviceAddress(at: 4096).value) }
        let c = try t.io(.read, blocks: 32, prp1: b.deviceAddress.value, prp2: list.deviceAddress(at: 4096 - 16).value)
        #expect(c.status == .invalidField)
        #expect(t.guestErrors.last?.detail.contains("loops") == true)
    }

    @Test("DMA aimed at the controller's own BAR0 is Data Transfer Error; registers are untouched, no re-entry")
    func dmaToOwnBAR() throws {
        let t = try NVMeBench.ready()
        let bar0 = try #require(t.function.barAddress(0))
        let iova: UInt64 = 0x40_0000_0000
        try t.function.dma.domain.map(IOVA(iova), size: 0x4000, to: GuestPhysicalAddress(bar0), permissions: .readWrite)
        #expect(try t.write(pattern(512, seed: 1), at: 0) == .success)
        let before = (0..<16).map { t.read32($0 * 4) }
        let c = try t.io(.read, prp1: iova + 0x1000)
        #expect(c.status == .dataTransferError)
        #expect((0..<16).map { t.read32($0 * 4) } == before)
        let fault = try #require(t.bus.services.faults.faults.last)
        #expect(fault.reason == .outsideGuestMemory(GuestPhysicalAddress(bar0 + 0x1000), length: 512))
        #expect(try t.io(.write, prp1: iova + 0x14).status == .dataTransferError)
        #expect(t.ready && !t.fatal)
    }

    @Test("Buffers outside the IOMMU domain or read-only for a read are Data Transfer Error")
    func outsideDomain() throws {
        let t = try NVMeBench.ready()
        #expect(try t.io(.read, prp1: 0x7_0000_0000).status == .dataTransferError)
        let region = t.bus.services.memory.allocate(4096)
        try t.function.dma.domain.map(IOVA(0x50_0000_0000), size: 4096, to: region.base, permissions: .read)
        #expect(try t.io(.read, prp1: 0x50_0000_0000).status == .dataTransferError)
        #expect(try t.io(.write, prp1: 0x50_0000_0000).status == .success)
    }

    @Test("A data buffer's kept translation is per direction: a read-only buffer a Write read from stays closed to a Read")
    func keptDataTranslationIsPerDirection() throws {
        let t = try NVMeBench.ready(ebsConfiguration(blockSize: 4096))
        let region = t.bus.services.memory.allocate(4096)
        let iova: UInt64 = 0x50_0000_0000
        try t.function.dma.domain.map(IOVA(iova), size: 4096, to: region.base, permissions: .read)
        region.host.copyMemory(from: pattern(4096, seed: 3), byteCount: 4096)
        #expect(try t.io(.write, prp1: iova).status == .success)
        #expect(try t.io(.write, slba: 1, prp1: iova).status == .success)
        region.host.initializeMemory(as: UInt8.self, repeating: 0xEE, count: 4096)
        #expect(try t.io(.read, prp1: iova).status == .dataTransferError)
        #expect(Array(UnsafeRawBufferPointer(start: region.host, count: 4096)) == [UInt8](repeating: 0xEE, count: 4096))
        #expect(try t.read(at: 1, blocks: 1) == (.success, pattern(4096, seed: 3)))
    }

    @Test("A data buffer unmapped between doorbells is Data Transfer Error, its memory not written through an old translation")
    func keptDataTranslationDroppedOnUnmap() throws {
        let t = try NVMeBench.ready(ebsConfiguration(blockSize: 4096))
        #expect(try t.write(pattern(4096, seed: 5), at: 0) == .success)
        let region = t.bus.services.memory.allocate(4096)
        let iova: UInt64 = 0x50_0000_0000
        try t.function.dma.domain.map(IOVA(iova), size: 4096, to: region.base, permissions: .readWrite)
        #expect(try t.io(.read, prp1: iova).status == .success)
        #expect(Array(UnsafeRawBufferPointer(start: region.host, count: 4096)) == pattern(4096, seed: 5))
        region.host.initializeMemory(as: UInt8.self, repeating: 0xEE, count: 4096)
        let faults = t.bus.services.faults.faults.count
        try t.function.dma.domain.unmap(IOVA(iova))
        #expect(try t.io(.read, prp1: iova).status == .dataTransferError)
        #expect(Array(UnsafeRawBufferPointer(start: region.host, count: 4096)) == [UInt8](repeating: 0xEE, count: 4096))
        #expect(t.bus.services.faults.faults.count == faults + 1)
        // Mapped again (same IOVA, other memory): the new translation is used.
        let other = t.bus.services.memory.allocate(4096)
        try t.function.dma.domain.map(IOVA(iova), size: 4096, to: other.base, permissions: .readWrite)
        #expect(try t.io(.read, prp1: iova).status == .success)
        #expect(Array(UnsafeRawBufferPointer(start: other.host, count: 4096)) == pattern(4096, seed: 5))
        #expect(Array(UnsafeRawBufferPointer(start: region.host, count: 4096)) == [UInt8](repeating: 0xEE, count: 4096))
    }

    /// An SGL descriptor's two quadwords.
    func sgl(_ address: UInt64, _ length: UInt32, type: UInt8, subtype: UInt8 = 0) -> (UInt64, UInt64) {
        (address, UInt64(length) | UInt64(type << 4 | subtype) << 56)
    }

    @Test("SGL: one data block, and segments chaining to a last segment with odd-sized blocks")
    func sglRoundTrip() throws {
        let t = try NVMeBench.ready()
        let data = pattern(2048, seed: 13)
        let src = try t.access.allocateDMA(4096)
        src.host.copyBytes(from: data)
        let (a, b) = sgl(src.deviceAddress.value, 2048, type: 0)
        #expect(try t.io(.write, slba: 8, blocks: 4, prp1: a, prp2: b, psdt: 1).status == .success)
        let dst = try t.access.allocateDMA(3 * 4096)
        let segs = try t.access.allocateDMA(4096)
        let pieces: [(Int, UInt32)] = [(0, 100), (4096 + 7, 1000)]
        for (i, (off, len)) in pieces.enumerated() {
            let (x, y) = sgl(dst.deviceAddress(at: off).value, len, type: 0)
            put(segs, 16 * i, x)
            put(segs, 16 * i + 8, y)
        }
        let (nx, ny) = sgl(segs.deviceAddress(at: 256).value, 16, type: 3)
        put(segs, 32, nx)
        put(segs, 40, ny)
        let (lx, ly) = sgl(dst.deviceAddress(at: 8192 + 1).value, 948, type: 0)
        put(segs, 256, lx)
        put(segs, 264, ly)
        let (f1, f2) = sgl(segs.deviceAddress.value, 48, type: 2)
        #expect(try t.io(.read, slba: 8, blocks: 4, prp1: f1, prp2: f2, psdt: 1).status == .success)
        let back =
            Array(dst.host[0..<100]) + Array(dst.host[(4096 + 7)..<(4096 + 1007)]) + Array(dst.host[(8192 + 1)..<(8192 + 949)])
        #expect(back == data)
    }

    @Test("SGL errors: too short, too long, bad type or subtype, bad segment length, segment in a last segment")
    func sglErrors() throws {
        let t = try NVMeBench.ready()
        let b = try t.access.allocateDMA(8192)
        let s = try t.access.allocateDMA(4096)
        func read(_ d: (UInt64, UInt64), blocks: Int = 1) throws -> NVMeStatus {
            try t.io(.read, blocks: blocks, prp1: d.0, prp2: d.1, psdt: 1).status
        }
        #expect(try read(sgl(b.deviceAddress.value, 256, type: 0)) == .dataSGLLengthInvalid)
        #expect(try read(sgl(b.deviceAddress.value, 1024, type: 0)) == .dataSGLLengthInvalid)
        #expect(try read(sgl(b.deviceAddress.value, 512, type: 1)) == .sglDescriptorTypeInvalid)
        #expect(try read(sgl(b.deviceAddress.value, 512, type: 0, subtype: 1)) == .sglDescriptorTypeInvalid)
        #expect(try read(sgl(s.deviceAddress.value, 20, type: 3)) == .invalidSGLSegmentDescriptor)
        let inner = sgl(s.deviceAddress(at: 64).value, 16, type: 3)
        put(s, 0, inner.0)
        put(s, 8, inner.1)
        #expect(try read(sgl(s.deviceAddress.value, 16, type: 3)) == .invalidSGLSegmentDescriptor)
        #expect(try read(sgl(0x7_0000_0000, 512, type: 0)) == .dataTransferError)
        #expect(try t.io(.read, prp1: b.deviceAddress.value, psdt: 3).status == .invalidField)
    }

    @Test("An SGL segment that points at itself runs out of descriptors instead of looping")
    func sglLoop() throws {
        let t = try NVMeBench.ready()
        let s = try t.access.allocateDMA(4096)
        let b = try t.access.allocateDMA(4096)
        let data = sgl(b.deviceAddress.value, 1, type: 0)
        put(s, 0, data.0)
        put(s, 8, data.1)
        let again = sgl(s.deviceAddress.value, 32, type: 2)
        put(s, 16, again.0)
        put(s, 24, again.1)
        let c = try t.io(.read, blocks: 8, prp1: again.0, prp2: again.1, psdt: 1)
        #expect(c.status == .invalidSGLDescriptorCount)
    }
}
