import Foundation
import PCIe

/// A client DMA window mapped without a descriptor: the device reaches it through a staging
/// copy that `DMA_READ` fills and `DMA_WRITE` empties.
final class RemoteWindow: RemoteGuestMemory {
    /// First DMA address of the window.
    let address: UInt64
    /// Size in bytes.
    let size: UInt64
    /// The staging copy (anonymous, reserved lazily by the kernel).
    let shadow: UnsafeMutableRawPointer
    weak var endpoint: VFIOUserEndpoint?

    init(address: UInt64, size: UInt64, shadow: UnsafeMutableRawPointer, endpoint: VFIOUserEndpoint) {
        self.address = address
        self.size = size
        self.shadow = shadow
        self.endpoint = endpoint
    }

    func stage(offset: UInt64, length: UInt64, access: DMAAccess) -> Bool {
        endpoint?.stage(self, offset: offset, length: length, access: access) ?? false
    }
}

/// A range of a remote window staged during the current event.
struct StagedRange {
    let window: RemoteWindow
    /// Offset in the window.
    let offset: UInt64
    let length: UInt64
    /// Staged for writing and not yet written back.
    var dirty: Bool

    func overlaps(_ w: RemoteWindow, _ o: UInt64, _ n: UInt64) -> Bool {
        window === w && o < offset + length && offset < o + n
    }
}

extension VFIOUserEndpoint {
    /// Stages `[offset, offset+length)` of `window`: reuses a range staged earlier in this
    /// event, else writes back overlapping dirty ranges (so the device reads its own writes) and
    /// fetches the bytes with `DMA_READ`. Every staged range is fetched first, also for a write:
    /// a device may write only part of what it asked for, and the rest must go back unchanged.
    func stage(_ window: RemoteWindow, offset: UInt64, length: UInt64, access: DMAAccess) -> Bool {
        if let i = staged.firstIndex(where: {
            $0.window === window && offset >= $0.offset && offset + length <= $0.offset + $0.length
        }) {
            if access == .write { staged[i].dirty = true }
            return true
        }
        for i in staged.indices where staged[i].dirty && staged[i].overlaps(window, offset, length) {
            guard writeBack(staged[i]) else { return false }
            staged[i].dirty = false
        }
        guard transfer(.dmaRead, window, offset: offset, length: length) else { return false }
        staged.append(StagedRange(window: window, offset: offset, length: length, dirty: access == .write))
        return true
    }

    /// Writes back every dirty staged range (before an interrupt, and at the end of an event).
    func flushRemoteDMA() {
        for i in staged.indices where staged[i].dirty {
            _ = writeBack(staged[i])
            staged[i].dirty = false
        }
    }

    /// Ends the current event: writes back and forgets every staged range, so the next event
    /// sees the client's memory as it is then.
    public func finishRemoteDMA() {
        guard !staged.isEmpty else { return }
        flushRemoteDMA()
        staged.removeAll(keepingCapacity: true)
    }

    private func writeBack(_ range: StagedRange) -> Bool {
        transfer(.dmaWrite, range.window, offset: range.offset, length: range.length)
    }

    /// Moves bytes between the staging copy and the client, in pieces of at most the agreed
    /// transfer size. False when the client refused (the access faults) or the session broke.
    private func transfer(_ command: VFIOUser.Command, _ window: RemoteWindow, offset: UInt64, length: UInt64) -> Bool {
        guard failure == nil, let peer else { return false }
        var done: UInt64 = 0
        while done < length {
            let count = min(length - done, UInt64(clientMaxDataTransfer))
            let address = window.address + offset + done
            let host = window.shadow + Int(offset + done)
            var payload: [UInt8] = []
            payload.appendLittleEndian(address)
            payload.appendLittleEndian(count)
            if command == .dmaWrite {
                payload.append(contentsOf: UnsafeRawBufferPointer(start: host, count: Int(count)))
            }
            statistics.remoteDMARequests &+= 1
            if let trace { trace("\(function.bdf) \(command) 0x\(String(address, radix: 16)) [\(count) bytes]") }
            switch peer.request(command, payload: payload) {
            case .failure(let end):
                failure = end
                note("\(command) of \(count) bytes at 0x\(String(address, radix: 16)): \(end)")
                return false
            case .success(let reply):
                switch Self.check(reply, of: command, address: address, count: count) {
                case .refused(let errno):
                    note("client refused \(command) of \(count) bytes at 0x\(String(address, radix: 16)) (errno \(errno))")
                    return false
                case .malformed(let why):
                    failure = .framing("\(command) reply: \(why)")
                    note("\(command) reply: \(why)")
                    return false
                case .ok:
                    if command == .dmaRead {
                        reply.payload.withUnsafeBytes { bytes in
                            guard let base = bytes.baseAddress else { return }
                            host.copyMemory(from: base + 16, byteCount: Int(count))
                        }
                    }
                }
            }
            done += count
        }
        return true
    }

    /// What a reply to the server's `DMA_READ` or `DMA_WRITE` says.
    enum RemoteDMAOutcome: Equatable {
        case ok
        /// The client answered with an error (it could not reach the address): the access faults.
        case refused(UInt32)
        /// The reply does not fit the request: the client cannot be trusted any more.
        case malformed(String)
    }

    /// Checks a reply against its request. A `DMA_READ` reply carries the address, the count and
    /// exactly `count` bytes; a `DMA_WRITE` reply carries nothing (QEMU) or the address and count
    /// (the specification).
    static func check(_ reply: VFIOUserIncomingMessage, of command: VFIOUser.Command, address: UInt64, count: UInt64)
        -> RemoteDMAOutcome
    {
        if reply.header.flags & VFIOUser.Flags.error != 0 { return .refused(reply.header.error) }
        let p = reply.payload
        var r = ByteReader(p)
        switch command {
        case .dmaRead:
            guard UInt64(p.count) == 16 + count else { return .malformed("\(p.count) payload bytes for \(count) requested") }
        default:
            guard p.count == 0 || p.count == 16 else { return .malformed("\(p.count) payload bytes") }
            if p.isEmpty { return .ok }
        }
        let (a, n) = (r.u64(), r.u64())
        guard a == address, n == count else {
            return .malformed(
                "reply names \(n) bytes at 0x\(String(a, radix: 16)), not \(count) at 0x\(String(address, radix: 16))")
        }
        return .ok
    }
}
