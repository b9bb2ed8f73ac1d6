import CVFIOUser
import Foundation
import PCIe

/// One client DMA window.
struct DMAWindow {
    /// First DMA address (the function's IOVA).
    let address: UInt64
    /// Size in bytes.
    let size: UInt64
    /// Guest memory holding the client's pages, or for a window without a descriptor the
    /// staging copy its ``RemoteWindow`` fills with `DMA_READ` and empties with `DMA_WRITE`.
    let region: GuestMemoryRegion?

    /// Drops the server's view of the client's pages (or the staging copy).
    func unmapHost() {
        guard let region else { return }
        munmap(region.host, Int(region.size))
    }
}

extension VFIOUserEndpoint {
    private static let pageSize: UInt64 = 4096

    /// DMA_MAP: maps the client's pages (shared through the descriptor) and makes them the
    /// function's IOMMU window at the client's address. A window without a descriptor becomes
    /// a window the device reaches through `DMA_READ` and `DMA_WRITE` requests to the client.
    func mapDMA(_ map: VFIOUserDMAMap, fileDescriptors fds: [Int32]) -> Result<[UInt8], VFIOUserErrno> {
        guard fds.count <= 1 else {
            closeAll(fds)
            note("DMA_MAP with \(fds.count) descriptors")
            return .failure(.einval)
        }
        let fd = fds.first
        let permissions = DMAPermissions(
            rawValue: UInt8(truncatingIfNeeded: map.flags & (VFIOUser.DMAFlags.read | VFIOUser.DMAFlags.write)))
        let page = Self.pageSize
        guard map.flags & ~(VFIOUser.DMAFlags.read | VFIOUser.DMAFlags.write) == 0, !permissions.isEmpty,
            map.size > 0, map.address % page == 0, map.size % page == 0, map.fileOffset % page == 0,
            map.address <= UInt64.max - map.size, map.size <= UInt64(Int.max), map.fileOffset <= UInt64(Int64.max)
        else {
            closeAll(fds)
            note("DMA_MAP of 0x\(String(map.size, radix: 16)) bytes at 0x\(String(map.address, radix: 16)): bad window")
            return .failure(.einval)
        }
        guard windows.count < VFIOUser.maxDMAMaps else {
            closeAll(fds)
            return .failure(.enomem)
        }
        guard !windows.contains(where: { map.address < $0.address + $0.size && $0.address < map.address + map.size }) else {
            closeAll(fds)
            note("DMA_MAP at 0x\(String(map.address, radix: 16)) overlaps a mapped window")
            return .failure(.eexist)
        }
        let host: UnsafeMutableRawPointer
        var remote: RemoteWindow?
        if let fd {
            defer { Foundation.close(fd) }
            let fileSize = dbvu_file_size(fd)
            guard fileSize >= 0, UInt64(fileSize) >= map.fileOffset, UInt64(fileSize) - map.fileOffset >= map.size else {
                note("DMA_MAP window beyond the end of the client's file")
                return .failure(.einval)
            }
            let protection = (permissions.contains(.read) ? PROT_READ : 0) | (permissions.contains(.write) ? PROT_WRITE : 0)
            let mapped = mmap(nil, Int(map.size), protection, MAP_SHARED, fd, off_t(map.fileOffset))
            guard let mapped, mapped != MAP_FAILED else {
                note("DMA_MAP: mmap failed (errno \(errno))")
                return .failure(.efault)
            }
            host = mapped
        } else {
            // No descriptor: the device reaches the window through a staging copy, one
            // DMA_READ or DMA_WRITE to the client per access.
            let shadow = mmap(nil, Int(map.size), PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0)
            guard let shadow, shadow != MAP_FAILED else {
                note("DMA_MAP: no address space for a staging copy of 0x\(String(map.size, radix: 16)) bytes")
                return .failure(.enomem)
            }
            host = shadow
            remote = RemoteWindow(address: map.address, size: map.size, shadow: shadow, endpoint: self)
        }
        let memory = function.dma.memory
        let region = memory.adopt(size: map.size, host: host, release: nil, remote: remote)
        do {
            try function.dma.domain.map(IOVA(map.address), size: map.size, to: region.base, permissions: permissions)
        } catch {
            memory.remove(region)
            munmap(host, Int(map.size))
            note("DMA_MAP: \(error)")
            return .failure(.eexist)
        }
        windows.append(DMAWindow(address: map.address, size: map.size, region: region))
        statistics.dmaMaps &+= 1
        return .success([])
    }

    /// DMA_UNMAP: removes a window that matches a mapped one exactly; the reply echoes the
    /// request.
    func unmapDMA(argsz: UInt32, flags: UInt32, address: UInt64, size: UInt64) -> Result<[UInt8], VFIOUserErrno> {
        guard argsz >= 24, flags == 0 else { return .failure(.einval) }
        guard let i = windows.firstIndex(where: { $0.address == address && $0.size == size }) else {
            note("DMA_UNMAP of 0x\(String(size, radix: 16)) bytes at 0x\(String(address, radix: 16)): no such window")
            return .failure(.einval)
        }
        remove(windows.remove(at: i))
        var out: [UInt8] = []
        out.appendLittleEndian(argsz)
        out.appendLittleEndian(flags)
        out.appendLittleEndian(address)
        out.appendLittleEndian(size)
        return .success(out)
    }

    /// Removes every window (client gone).
    func unmapAllDMA() {
        for window in windows { remove(window) }
        windows.removeAll()
    }

    /// IOMMU first (the device can no longer reach the pages), then guest memory, then the host
    /// mapping.
    private func remove(_ window: DMAWindow) {
        guard let region = window.region else { return }
        try? function.dma.domain.unmap(IOVA(window.address))
        function.dma.memory.remove(region)
        window.unmapHost()
    }

    /// Client DMA windows now mapped: address, size, and whether the device can reach them
    /// (a window without a descriptor needs a peer for `DMA_READ`/`DMA_WRITE`).
    public var dmaWindows: [(address: UInt64, size: UInt64, reachable: Bool)] {
        windows.map { ($0.address, $0.size, $0.region?.remote == nil || peer != nil) }
    }
}
