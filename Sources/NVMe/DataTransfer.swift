import PCIe

/// A piece of guest memory a command's data pointer names, already translated and checked by the
/// function's IOMMU domain for the direction of the transfer.
struct DataSegment {
    var host: UnsafeMutableRawPointer
    var length: Int
}

/// Where a command's data is in guest memory: the PRP entries or SGL descriptors of the current
/// command resolved into segments, in preallocated storage reused by every command.
///
/// Resolution follows NVMe Base 1.4 §4.3 (PRP) and §4.4 (SGL) and turns every malformed pointer
/// into the status the spec gives: PRP Offset Invalid for a misaligned PRP1 (not dword aligned),
/// a misaligned PRP2, list entry or chain pointer; Data Transfer Error for an entry of 0 or memory
/// the IOMMU refuses (unmapped, wrong direction, or not guest RAM, e.g. the controller's own BAR);
/// Invalid Field for a PRP list chain that comes back to a list page already used. SGL errors use
/// the SGL status codes. A walk reads at most as many entries as the transfer needs, so no list
/// can make it run longer than the transfer.
final class DataTransfer {
    private let dma: DMAPort
    /// Memory page size (CC.MPS).
    @exclusivity(unchecked) var pageSize: UInt64 = 4096
    /// Resolved segments of the current command (adjacent host ranges merged).
    let segments: UnsafeMutablePointer<DataSegment>
    /// Valid entries in ``segments``.
    @exclusivity(unchecked) private(set) var count = 0
    private let capacity: Int
    private let visitedLists: UnsafeMutablePointer<UInt64>
    private let visitedCapacity = 16
    /// Staging for a block that straddles segments (4096 bytes).
    let bounce: UnsafeMutableRawPointer
    /// Why the last resolution failed, for the guest error log.
    @exclusivity(unchecked) private(set) var problem: StaticString = ""
    /// The translation of the guest memory the last one-page data pointer the controller read
    /// from lay in (the mapping and region around it), kept while ``readWindowStamp`` holds.
    @exclusivity(unchecked) private var readWindow = DMAWindow()
    @exclusivity(unchecked) private var readWindowStamp = DMATranslationStamp.never
    /// The same for data pointers the controller writes to.
    @exclusivity(unchecked) private var writeWindow = DMAWindow()
    @exclusivity(unchecked) private var writeWindowStamp = DMATranslationStamp.never

    /// Most SGL descriptors a command may use (data blocks and segments together).
    static let sglDescriptorLimit = 256

    /// Storage for transfers up to `maximumBytes`.
    init(dma: DMAPort, maximumBytes: Int) {
        self.dma = dma
        capacity = max(maximumBytes / 4096 + 2, Self.sglDescriptorLimit)
        segments = .allocate(capacity: capacity)
        visitedLists = .allocate(capacity: visitedCapacity)
        bounce = .allocate(byteCount: 4096, alignment: 4096)
    }

    deinit {
        segments.deallocate()
        visitedLists.deallocate()
        bounce.deallocate()
    }

    /// Resolves the data pointer of `entry` for `length` bytes moving in `access` direction
    /// (`.write`: the controller writes guest memory). `allowSGL` is false for admin commands.
    func resolve(_ entry: SubmissionEntry, length: Int, access: DMAAccess, allowSGL: Bool) -> NVMeStatus {
        count = 0
        guard length > 0 else { return .success }
        switch entry.psdt {
        case 0: return resolvePRPs(entry.prp1, entry.prp2, length: length, access: access)
        case 1 where allowSGL, 2 where allowSGL: return resolveSGL(entry, length: length, access: access)
        default: return fail(.invalidField, "PSDT selects SGLs where they are not supported")
        }
    }

    /// Whether a PRP data pointer (PSDT 0) for `length` bytes lies entirely in PRP1's page, so
    /// PRP2 is not used and ``resolveFirstPage(_:length:access:)`` can replace ``resolve(_:length:access:allowSGL:)``.
    @inline(__always)
    func fitsFirstPage(_ entry: SubmissionEntry, length: Int) -> Bool {
        entry.psdt == 0 && length > 0 && UInt64(length) <= pageSize &- (entry.prp1 & (pageSize &- 1))
    }

    /// The host bytes of a data pointer that ``fitsFirstPage(_:length:)``: the checks, status and
    /// ``problem`` of ``resolve(_:length:access:allowSGL:)`` for such a pointer (PRP1 dword
    /// aligned and not 0, the IOMMU allows the range), with one translation and no segment list;
    /// nil when it fails (``problem`` says why, `status` is set).
    @inline(__always)
    func resolveFirstPage(_ prp1: UInt64, length: Int, access: DMAAccess, status: inout NVMeStatus) -> UnsafeMutableRawPointer? {
        count = 0
        guard prp1 & 3 == 0 else {
            status = fail(.prpOffsetInvalid, "PRP1 offset is not dword aligned")
            return nil
        }
        guard prp1 != 0 else {
            status = fail(.dataTransferError, "PRP1 is 0")
            return nil
        }
        if let p = window(access).pointer(prp1, length: UInt64(length)) { return p }
        guard let p = try? dma.hostPointer(IOVA(prp1), length: UInt64(length), access: access) else {
            status = fail(.dataTransferError, "data buffer outside the function's DMA mappings")
            return nil
        }
        keepWindow(around: prp1, length: length, access: access)
        return p
    }

    /// The kept data window for `access` (empty until one is taken, and after
    /// ``dropStaleWindows()`` finds it stale).
    @inline(__always)
    private func window(_ access: DMAAccess) -> DMAWindow {
        access == .read ? readWindow : writeWindow
    }

    /// Keeps the translation around `[address, address + length)` (which just translated without
    /// a fault) for `access`, with the port's stamp: later one-page data pointers inside it are a
    /// bounds check instead of an IOTLB search. Nothing is kept when the range has no plain window
    /// (memory with a remote owner, say).
    private func keepWindow(around address: UInt64, length: Int, access: DMAAccess) {
        guard let w = dma.window(covering: IOVA(address), length: UInt64(length), access: access) else { return }
        if access == .read {
            (readWindow, readWindowStamp) = (w, dma.translationStamp)
        } else {
            (writeWindow, writeWindowStamp) = (w, dma.translationStamp)
        }
    }

    /// Forgets a kept data window whose stamp no longer holds (a map or unmap, a removed guest
    /// memory region, bus mastering off). Called once per doorbell before any command runs;
    /// nothing a command does changes the domain, guest memory or bus mastering, so a window
    /// that holds here holds for the whole run.
    @inline(__always)
    func dropStaleWindows() {
        if !dma.holds(readWindowStamp) { (readWindow, readWindowStamp) = (DMAWindow(), .never) }
        if !dma.holds(writeWindowStamp) { (writeWindow, writeWindowStamp) = (DMAWindow(), .never) }
    }

    private func fail(_ status: NVMeStatus, _ why: StaticString) -> NVMeStatus {
        problem = why
        return status
    }

    /// Adds `[address, address + length)` as a segment; Data Transfer Error if the IOMMU refuses it.
    @inline(__always)
    private func append(_ address: UInt64, _ length: Int, _ access: DMAAccess) -> NVMeStatus {
        guard let p = try? dma.hostPointer(IOVA(address), length: UInt64(length), access: access) else {
            return fail(.dataTransferError, "data buffer outside the function's DMA mappings")
        }
        if count > 0, segments[count - 1].host + segments[count - 1].length == p {
            segments[count - 1].length += length
            return .success
        }
        guard count < capacity else { return fail(.invalidField, "too many data segments") }
        segments[count] = DataSegment(host: p, length: length)
        count += 1
        return .success
    }

    // MARK: PRP

    private func resolvePRPs(_ prp1: UInt64, _ prp2: UInt64, length: Int, access: DMAAccess) -> NVMeStatus {
        let page = pageSize
        let mask = page - 1
        guard prp1 & 3 == 0 else { return fail(.prpOffsetInvalid, "PRP1 offset is not dword aligned") }
        guard prp1 != 0 else { return fail(.dataTransferError, "PRP1 is 0") }
        let first = min(length, Int(page - (prp1 & mask)))
        var status = append(prp1, first, access)
        guard status.isSuccess else { return status }
        var remaining = length - first
        if remaining == 0 { return .success }
        if remaining <= Int(page) {
            guard prp2 & mask == 0 else { return fail(.prpOffsetInvalid, "PRP2 data page has an offset") }
            guard prp2 != 0 else { return fail(.dataTransferError, "PRP2 is 0") }
            return append(prp2, remaining, access)
        }
        guard prp2 & 7 == 0 else { return fail(.prpOffsetInvalid, "PRP list pointer is not qword aligned") }
        guard prp2 != 0 else { return fail(.dataTransferError, "PRP list pointer is 0") }
        var list = prp2
        var visited = 0
        while remaining > 0 {
            if visited < visitedCapacity {
                visitedLists[visited] = list & ~mask
                visited += 1
            }
            let slots = Int((page - (list & mask)) / 8)
            let needed = (remaining + Int(page) - 1) / Int(page)
            let chained = needed > slots
            let reading = chained ? slots : needed
            guard let entries = try? dma.hostPointer(IOVA(list), length: UInt64(reading * 8), access: .read) else {
                return fail(.dataTransferError, "PRP list outside the function's DMA mappings")
            }
            let dataEntries = chained ? reading - 1 : reading
            for i in 0..<dataEntries {
                let address = UInt64(littleEndian: entries.loadUnaligned(fromByteOffset: i * 8, as: UInt64.self))
                guard address & mask == 0 else { return fail(.prpOffsetInvalid, "PRP list entry has an offset") }
                guard address != 0 else { return fail(.dataTransferError, "PRP list entry is 0") }
                let n = min(remaining, Int(page))
                status = append(address, n, access)
                guard status.isSuccess else { return status }
                remaining -= n
            }
            guard chained else { break }
            let next = UInt64(littleEndian: entries.loadUnaligned(fromByteOffset: (reading - 1) * 8, as: UInt64.self))
            guard next & mask == 0 else { return fail(.prpOffsetInvalid, "PRP list chain pointer has an offset") }
            guard next != 0 else { return fail(.dataTransferError, "PRP list chain pointer is 0") }
            for v in 0..<visited where visitedLists[v] == next {
                return fail(.invalidField, "PRP list chain loops back to a list page already used")
            }
            list = next
        }
        return .success
    }

    // MARK: SGL

    private struct SGLDescriptor {
        let address: UInt64
        let length: UInt32
        let type: UInt8
        let subtype: UInt8

        init(_ address: UInt64, _ high: UInt64) {
            self.address = address
            length = UInt32(truncatingIfNeeded: high)
            type = UInt8(truncatingIfNeeded: high >> 60)
            subtype = UInt8(truncatingIfNeeded: high >> 56) & 0xF
        }

        static let dataBlock: UInt8 = 0
        static let segment: UInt8 = 2
        static let lastSegment: UInt8 = 3
    }

    private func resolveSGL(_ entry: SubmissionEntry, length: Int, access: DMAAccess) -> NVMeStatus {
        var remaining = length
        var budget = Self.sglDescriptorLimit
        var descriptor = SGLDescriptor(entry.prp1, entry.prp2)
        while true {
            budget -= 1
            guard budget >= 0 else { return fail(.invalidSGLDescriptorCount, "more SGL descriptors than supported") }
            guard descriptor.subtype == 0 else { return fail(.sglDescriptorTypeInvalid, "SGL descriptor subtype is not 0") }
            switch descriptor.type {
            case SGLDescriptor.dataBlock:
                let status = dataBlock(descriptor, &remaining, access)
                guard status.isSuccess else { return status }
                return remaining == 0 ? .success : fail(.dataSGLLengthInvalid, "SGL describes less data than the command moves")
            case SGLDescriptor.segment, SGLDescriptor.lastSegment:
                let n = Int(descriptor.length / 16)
                guard descriptor.length % 16 == 0, n > 0, n <= budget + 1 else {
                    return fail(.invalidSGLSegmentDescriptor, "SGL segment length is not a non-zero multiple of 16")
                }
                guard let items = try? dma.hostPointer(IOVA(descriptor.address), length: UInt64(descriptor.length), access: .read)
                else { return fail(.dataTransferError, "SGL segment outside the function's DMA mappings") }
                let isLast = descriptor.type == SGLDescriptor.lastSegment
                var next: SGLDescriptor?
                for i in 0..<n {
                    let d = SGLDescriptor(
                        UInt64(littleEndian: items.loadUnaligned(fromByteOffset: i * 16, as: UInt64.self)),
                        UInt64(littleEndian: items.loadUnaligned(fromByteOffset: i * 16 + 8, as: UInt64.self)))
                    if d.type == SGLDescriptor.segment || d.type == SGLDescriptor.lastSegment {
                        guard !isLast, i == n - 1 else {
                            return fail(.invalidSGLSegmentDescriptor, "SGL segment descriptor where only data blocks may be")
                        }
                        next = d
                        break
                    }
                    budget -= 1
                    guard budget >= 0 else { return fail(.invalidSGLDescriptorCount, "more SGL descriptors than supported") }
                    guard d.subtype == 0 else { return fail(.sglDescriptorTypeInvalid, "SGL descriptor subtype is not 0") }
                    guard d.type == SGLDescriptor.dataBlock else {
                        return fail(.sglDescriptorTypeInvalid, "SGL descriptor type not supported")
                    }
                    let status = dataBlock(d, &remaining, access)
                    guard status.isSuccess else { return status }
                }
                guard let next else {
                    return remaining == 0
                        ? .success : fail(.dataSGLLengthInvalid, "SGL describes less data than the command moves")
                }
                descriptor = next
            default:
                return fail(.sglDescriptorTypeInvalid, "SGL descriptor type not supported")
            }
        }
    }

    private func dataBlock(_ d: SGLDescriptor, _ remaining: inout Int, _ access: DMAAccess) -> NVMeStatus {
        let n = Int(d.length)
        guard n <= remaining else { return fail(.dataSGLLengthInvalid, "SGL describes more data than the command moves") }
        guard n > 0 else { return .success }
        guard d.address != 0 else { return fail(.dataTransferError, "SGL data block address is 0") }
        let status = append(d.address, n, access)
        guard status.isSuccess else { return status }
        remaining -= n
        return .success
    }
}
