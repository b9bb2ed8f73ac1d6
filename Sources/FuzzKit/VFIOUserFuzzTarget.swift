import CVFIOUser
import Foundation
import Host
import PCIe
import VFIOUser

/// `devbench serve`'s message handling: an untrusted vfio-user client sending raw messages
/// (any command, flags, sizes and payloads), region reads and writes, DMA maps of a memfd at
/// arbitrary windows, eventfd sets, resets and reconnects, against the EBS controller of the
/// default host. Every reply must be well formed, the function must keep answering, and when
/// the session ends no client memory may stay mapped and no descriptor may leak.
public final class VFIOUserFuzzTarget: FuzzTarget {
    public static let name = "vfio-user"
    public static let summary =
        "vfio-user requests from a hostile client (raw and structured, DMA maps, eventfds, resets) against a served NVMe function"
    public let harness: FuzzHarness? = nil
    public let surface = FuzzSurface(registers: [], doorbellCount: 8, entryCount: 256, entrySize: 64, virtualFunctions: false)
    private let host: VirtualHost
    private let endpoint: VFIOUserEndpoint
    private let ramFD: Int32
    private static let ramSize: UInt64 = 1 << 20
    private var nextID: UInt16 = 0
    private var problem: (String, String)?
    /// Every descriptor handed to the endpoint, to check at the end that it closed them.
    private var handedOver: [HandedDescriptor] = []
    private var nextEventTag: UInt64 = 0
    /// Answers the server's DMA_READ/DMA_WRITE to windows mapped without a descriptor.
    private let peer = FuzzPeer()

    /// The default host's profile, parsed once per process (decoding its YAML was a fifth of
    /// an input); a value, so no input can change what the next one gets.
    static let defaultProfile = Result { () throws(HostError) in try HostProfile.named("default") }

    public init() throws {
        host = try VirtualHost(profile: try Self.defaultProfile.get())
        let bdf = BDF(routingID: 0x1e << 3)
        host.bringUp(leavingUnbound: [bdf])
        guard let function = host.bus.function(at: bdf) else { throw FuzzSetupError(detail: "00:1e.0 is not on the bus") }
        endpoint = VFIOUserEndpoint(function: function, bus: host.bus)
        endpoint.peer = peer
        ramFD = dbvu_memfd_create("fuzz-ram", Self.ramSize)
        negotiate()
    }

    deinit { close(ramFD) }

    public func apply(_ op: FuzzOperation) {
        switch op {
        case .writeEntry(let slot, let mask, let bytes):
            // A raw message: any command number (known or not), flags from the mask. Slots that
            // name DMA_READ/DMA_WRITE also become the reply to the server's next such request.
            if UInt16(slot) % 20 == 11 || UInt16(slot) % 20 == 12 { peer.reply = bytes }
            send(UInt16(slot) % 20, flags: UInt32(mask) & 0x3f, bytes)
        case .configRead(let offset, let width):
            send(.regionRead, le(UInt64(offset)) + le(VFIOUser.Region.config) + le(UInt32(width.rawValue)))
        case .configWrite(let offset, let width, let value):
            send(
                .regionWrite,
                le(UInt64(offset)) + le(VFIOUser.Region.config) + le(UInt32(width.rawValue)) + le(value).prefix(width.rawValue))
        case .mmioRead(let bar, let offset, let width):
            send(.regionRead, le(UInt64(offset)) + le(UInt32(bar % 10)) + le(UInt32(width.rawValue)))
        case .mmioWrite(let bar, let offset, let width, let value):
            send(
                .regionWrite,
                le(UInt64(offset)) + le(UInt32(bar % 10)) + le(UInt32(width.rawValue)) + le(value).prefix(width.rawValue))
        case .doorbell(let slot, let value):
            setIRQs(flags: value & 0x3f, index: UInt32(slot % 6), start: (value >> 8) & 0xff, count: (value >> 16) & 0x3f)
        case .fillMemory(let offset, let length, let pattern, let seed):
            let address = UInt64(offset) & ~0xfff
            let size = (UInt64(length) % 64 + UInt64(seed & 1)) * 4096
            if seed & 2 != 0 {
                send(.dmaUnmap, le(UInt32(24)) + le(UInt32(0)) + le(address) + le(size))
            } else {
                let fileOffset = UInt64(pattern >> 2) * 4096
                send(
                    .dmaMap, le(UInt32(32)) + le(UInt32(pattern & 3)) + le(fileOffset) + le(address) + le(size),
                    fds: seed & 4 == 0 ? [dup(ramFD)] : [])
                if seed & 8 != 0 { deviceAccess(address, UInt32(pattern)) }
            }
        case .reset:
            send(.deviceReset, [])
        case .reinitialize:
            endpoint.disconnect()
            endpoint.peer = peer
            negotiate()
        case .advanceTime(let microseconds):
            host.bus.services.clock.advance(by: .microseconds(UInt64(microseconds)))
        default:
            break
        }
    }

    public func violatedInvariant(after op: FuzzOperation) -> (invariant: String, detail: String)? {
        if let problem { return problem }
        // The function keeps answering config reads with its identity.
        guard let reply = send(.regionRead, le(UInt64(0)) + le(VFIOUser.Region.config) + le(UInt32(4))),
            reply.header.flags & VFIOUser.Flags.error == 0 || !endpoint.negotiated,
            !endpoint.negotiated || reply.payload.suffix(4) == [0x0f, 0x1d, 0x61, 0x80]
        else { return ("the served function keeps answering", "config read of the IDs failed after \(op)") }
        return problem
    }

    public func finalCheck() -> (invariant: String, detail: String)? {
        endpoint.close()
        let mappings = endpoint.function.dma.domain.mappings.count
        if !endpoint.dmaWindows.isEmpty || mappings != 0 {
            return (
                "a closed session leaves no client memory mapped",
                "\(endpoint.dmaWindows.count) windows, \(mappings) IOMMU mappings"
            )
        }
        if let leaked = handedOver.first(where: { $0.isStillOpen }) {
            return ("a closed session leaks no descriptors", "descriptor \(leaked.fd) handed over is still open")
        }
        return nil
    }

    // MARK: Client side

    private func negotiate() {
        send(.version, le(UInt16(0)) + le(UInt16(0)) + Array("{\"capabilities\":{\"max_msg_fds\":16}}".utf8) + [0])
    }

    /// A new eventfd whose counter holds a tag no other eventfd in the process has, so the final
    /// check recognises it even if other code (tests running in parallel) reuses its number.
    private func taggedEventFD() -> Int32 {
        let fd = dbvu_eventfd_create()
        nextEventTag &+= 1
        var tag = HandedDescriptor.eventTagBase + nextEventTag << 20
        _ = write(fd, &tag, 8)
        return fd
    }

    /// The device reading then writing `address` (bus mastering on), as a model's DMA would:
    /// in a window without a descriptor that is a DMA_READ and, at the event's end, a DMA_WRITE
    /// answered by ``FuzzPeer``. A client that answered wrongly loses its session.
    private func deviceAccess(_ address: UInt64, _ value: UInt32) {
        send(.regionWrite, le(UInt64(4)) + le(VFIOUser.Region.config) + le(UInt32(2)) + le(UInt16(6)))
        let port = endpoint.function.dma
        if let old = try? port.load(UInt32.self, from: IOVA(address)) { try? port.store(old ^ value, to: IOVA(address)) }
        endpoint.finishRemoteDMA()
        guard endpoint.failure != nil else { return }
        endpoint.disconnect()
        endpoint.peer = peer
        negotiate()
    }

    private func setIRQs(flags: UInt32, index: UInt32, start: UInt32, count: UInt32) {
        let fds = flags & VFIOUser.IRQSetFlags.dataEventFD != 0 ? (0..<min(count, 8)).map { _ in taggedEventFD() } : []
        let booleans = flags & VFIOUser.IRQSetFlags.dataBool != 0 ? [UInt8](repeating: 1, count: Int(count)) : []
        send(.deviceSetIRQs, le(UInt32(20)) + le(flags) + le(index) + le(start) + le(count) + booleans, fds: fds)
    }

    @discardableResult
    private func send(_ command: VFIOUser.Command, _ payload: [UInt8], fds: [Int32] = []) -> VFIOUserIncomingMessage? {
        send(command.rawValue, flags: 0, payload, fds: fds)
    }

    /// Hands one message to the endpoint and checks the reply's framing.
    @discardableResult
    private func send(_ command: UInt16, flags: UInt32, _ payload: [UInt8], fds: [Int32] = []) -> VFIOUserIncomingMessage? {
        nextID &+= 1
        for fd in fds {
            if let h = HandedDescriptor(fd) { handedOver.append(h) }
        }
        let header = VFIOUserHeader(id: nextID, command: command, size: UInt32(16 + payload.count), flags: flags)
        let reply = endpoint.handle(header, payload: payload, fileDescriptors: fds)
        if endpoint.failure != nil {
            // The server ends a session whose client answered its own request wrongly.
            endpoint.disconnect()
            endpoint.peer = peer
            negotiate()
            return nil
        }
        let expectsReply = header.isCommand && !header.wantsNoReply
        guard let reply else {
            if expectsReply { problem = ("every command gets a reply", "command \(command) flags \(flags): none") }
            return nil
        }
        guard let h = reply.header, expectsReply, h.id == header.id, h.command == command,
            h.flags & VFIOUser.Flags.typeMask == VFIOUser.Flags.reply, Int(h.size) == reply.bytes.count,
            h.flags & VFIOUser.Flags.error == 0 || reply.bytes.count == 16
        else {
            problem = ("replies are well formed", "command \(command): \(reply.bytes.prefix(16))")
            return nil
        }
        return VFIOUserIncomingMessage(header: h, payload: Array(reply.bytes.dropFirst(16)), fileDescriptors: [])
    }

    private func le<T: FixedWidthInteger>(_ value: T) -> [UInt8] { withUnsafeBytes(of: value.littleEndian) { Array($0) } }

}

/// The client side of the server's own requests: replies to DMA_READ and DMA_WRITE come from
/// the input (any flags, error, size and payload), so the reply checks see hostile replies.
final class FuzzPeer: VFIOUserPeer {
    /// The next reply (header then payload); fewer than 16 bytes: the client hung up.
    var reply: [UInt8] = []

    func request(_ command: VFIOUser.Command, payload: [UInt8]) -> Result<VFIOUserIncomingMessage, VFIOUserSessionEnd> {
        guard let header = VFIOUserHeader(decoding: reply) else { return .failure(.closed) }
        return .success(VFIOUserIncomingMessage(header: header, payload: Array(reply.dropFirst(16)), fileDescriptors: []))
    }
}

/// A descriptor the fuzzer handed to the endpoint, remembered by identity (not just number:
/// other code in the process may get the same number once the endpoint closed it).
struct HandedDescriptor {
    let fd: Int32
    let device: UInt64
    let inode: UInt64
    /// For an eventfd, the counter value the fuzzer wrote into it.
    let eventTag: UInt64?

    /// Tags start here (eventfd counters other code uses stay far below).
    static let eventTagBase: UInt64 = 0x5EED << 44

    init?(_ fd: Int32) {
        var st = stat()
        guard fstat(fd, &st) == 0 else { return nil }
        self.fd = fd
        device = UInt64(st.st_dev)
        inode = UInt64(st.st_ino)
        eventTag = Self.eventCount(fd).flatMap { $0 >= Self.eventTagBase ? $0 & ~((1 << 20) - 1) : nil }
    }

    /// Whether the descriptor is still open as the object that was handed over.
    var isStillOpen: Bool {
        var st = stat()
        guard fstat(fd, &st) == 0, UInt64(st.st_dev) == device, UInt64(st.st_ino) == inode else { return false }
        guard let tag = eventTag else { return true }
        // Every eventfd shares one inode; the tag tells ours apart (the endpoint may have added
        // signals to it, never more than 2^20).
        guard let count = Self.eventCount(fd) else { return false }
        return count & ~((1 << 20) - 1) == tag
    }

    /// The counter of an eventfd from /proc/self/fdinfo, nil for anything else.
    static func eventCount(_ fd: Int32) -> UInt64? {
        guard let info = try? String(contentsOfFile: "/proc/self/fdinfo/\(fd)", encoding: .utf8) else { return nil }
        for line in info.split(separator: "\n") where line.hasPrefix("eventfd-count:") {
            return UInt64(line.dropFirst("eventfd-count:".count).trimmingCharacters(in: .whitespaces), radix: 16)
        }
        return nil
    }
}
