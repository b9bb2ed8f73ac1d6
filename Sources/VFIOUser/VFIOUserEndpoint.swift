import Foundation
import PCIe

/// A reply ready for the socket: encoded bytes and the file descriptors that go with them.
public struct VFIOUserReply: Sendable, Equatable {
    /// Header and payload.
    public var bytes: [UInt8]
    /// Descriptors to pass with the message (none today: no region is mappable).
    public var fileDescriptors: [Int32] = []

    /// The header of the reply.
    public var header: VFIOUserHeader? { VFIOUserHeader(decoding: bytes) }
}

/// What happened on one endpoint since it was created.
public struct VFIOUserStatistics: Sendable, Equatable {
    /// Command messages handled.
    public var requests: UInt64 = 0
    /// Replies that carried an error.
    public var errorReplies: UInt64 = 0
    /// Region reads and writes.
    public var regionAccesses: UInt64 = 0
    /// Interrupts written to a client eventfd.
    public var interruptsSignalled: UInt64 = 0
    /// Interrupts the device raised on a vector with no eventfd (lost, as on hardware with the
    /// vector unprogrammed).
    public var interruptsWithoutEventFD: UInt64 = 0
    /// DMA windows mapped over the session's life.
    public var dmaMaps: UInt64 = 0
    /// `DMA_READ` and `DMA_WRITE` requests sent to the client (windows without a descriptor).
    public var remoteDMARequests: UInt64 = 0
}

/// The server side of one vfio-user session for one PCI function of the bench.
///
/// Transport-free: the connection hands it each decoded header, payload and the file
/// descriptors that came with the message, and sends back what it returns. Every message is
/// untrusted: sizes, indices, offsets, flags and descriptors are checked, and a bad one gets an
/// error reply (EINVAL, ERANGE, ...) while the function keeps working.
///
/// Region accesses go to the same config-space and BAR handlers the in-process drivers use.
/// Config space is virtualized the way Linux `vfio-pci` does it for an assigned function: the
/// client owns BAR and ROM addresses (writes to them are dropped, reads show the bench's
/// assignment), a VF shows its vendor and device ID, and Interrupt Pin reads 0 (no INTx).
/// MSI-X and MSI are the client's: vectors it hands eventfds for are signalled directly, on the
/// MSI eventfds while the client has MSI enabled in config space and MSI-X disabled.
public final class VFIOUserEndpoint {
    /// The function served.
    public let function: PCIFunction
    let bus: PCIBus
    /// Whether VERSION has been negotiated.
    public internal(set) var negotiated = false
    /// Descriptors the client may send with one message, from its capabilities.
    public internal(set) var clientMaxFileDescriptors = 1
    /// Largest `DMA_READ`/`DMA_WRITE` transfer the client accepts (its `max_data_xfer_size`).
    public internal(set) var clientMaxDataTransfer = VFIOUser.maxDataTransfer
    /// DMA windows now mapped.
    var windows: [DMAWindow] = []
    /// Ranges of descriptor-less windows staged during the current event.
    var staged: [StagedRange] = []
    /// Where `DMA_READ` and `DMA_WRITE` requests go (the server sets it per session). Without
    /// one, windows mapped without a descriptor are unreachable and accesses to them fault.
    public var peer: (any VFIOUserPeer)?
    /// Set when a request of the server's own could not complete (the client went away, timed
    /// out, or answered with a reply that does not fit): the session must end.
    public internal(set) var failure: VFIOUserSessionEnd?
    /// Command.Memory Space Enable as the client last wrote it (virtualized for VFs).
    var virtualFunctionMemoryEnable = false
    /// Eventfd per MSI-X vector (-1: none).
    var vectorEventFDs: [Int32]
    /// Eventfd per MSI vector the function requests (-1: none).
    var msiEventFDs: [Int32]
    /// Counters.
    public internal(set) var statistics = VFIOUserStatistics()
    /// The most recent protocol errors, for the operator (bounded).
    public internal(set) var protocolErrors = BoundedLog<String>(capacity: 64)
    /// When set, receives one line per request and per region access (`devbench serve --trace`):
    /// what a real driver did to the function, in order.
    public var trace: ((String) -> Void)?

    /// Serves `function` of `bus`. Installs the MSI-X and MSI sinks; ``close()`` removes them.
    public init(function: PCIFunction, bus: PCIBus) {
        self.function = function
        self.bus = bus
        vectorEventFDs = Array(repeating: -1, count: function.msix?.vectorCount ?? 0)
        msiEventFDs = Array(repeating: -1, count: function.msi?.vectorCount ?? 0)
        function.msix?.externalSink = { [unowned self] vector in self.signal(vector, .msix) }
        function.msi?.externalSink = { [unowned self] vector in self.signal(vector, .msi) }
    }

    deinit { close() }

    /// Handles one command message. Takes ownership of `fileDescriptors` (keeps or closes each).
    /// Returns nil when the client asked for no reply or the message was not a command.
    public func handle(_ header: VFIOUserHeader, payload: [UInt8], fileDescriptors: [Int32]) -> VFIOUserReply? {
        finishRemoteDMA()
        defer { finishRemoteDMA() }
        guard header.isCommand else {
            closeAll(fileDescriptors)
            note("message \(header.id) of type \(header.flags & VFIOUser.Flags.typeMask) is not a command; ignored")
            return nil
        }
        statistics.requests &+= 1
        let outcome: Result<[UInt8], VFIOUserErrno>
        switch VFIOUserRequest.decode(header, payload: payload) {
        case .failure(let errno):
            closeAll(fileDescriptors)
            note("command \(header.command): malformed payload of \(payload.count) bytes")
            outcome = .failure(errno)
        case .success(let request):
            if let trace, !request.isRegionAccess { trace("\(function.bdf) \(request)") }
            outcome = perform(request, fileDescriptors: fileDescriptors)
        }
        if case .failure(let errno) = outcome {
            statistics.errorReplies &+= 1
            guard !header.wantsNoReply else { return nil }
            return Self.reply(to: header, errno: errno)
        }
        guard !header.wantsNoReply, case .success(let body) = outcome else { return nil }
        return Self.reply(to: header, payload: body)
    }

    private func perform(_ request: VFIOUserRequest, fileDescriptors fds: [Int32]) -> Result<[UInt8], VFIOUserErrno> {
        if case .version = request {
        } else if !negotiated {
            closeAll(fds)
            note("request before VERSION")
            return .failure(.einval)
        }
        switch request {
        case .dmaMap(let map):
            return mapDMA(map, fileDescriptors: fds)
        case .deviceSetIRQs(let set):
            return setIRQs(set, fileDescriptors: fds)
        default:
            break
        }
        guard fds.isEmpty else {
            closeAll(fds)
            note("unexpected file descriptors with \(request)")
            return .failure(.einval)
        }
        switch request {
        case .version(let major, let minor, let capabilities):
            return negotiate(major: major, minor: minor, capabilities: capabilities)
        case .dmaUnmap(let argsz, let flags, let address, let size):
            return unmapDMA(argsz: argsz, flags: flags, address: address, size: size)
        case .deviceGetInfo(let argsz):
            return deviceInfo(argsz: argsz)
        case .deviceGetRegionInfo(let argsz, let index):
            return regionInfo(argsz: argsz, index: index)
        case .deviceGetIRQInfo(let argsz, let index):
            return irqInfo(argsz: argsz, index: index)
        case .regionRead(let region, let offset, let count):
            return readRegion(region, offset: offset, count: count)
        case .regionWrite(let region, let offset, let data):
            return writeRegion(region, offset: offset, data: data)
        case .regionWriteMulti(let writes):
            for w in writes {
                if case .failure(let e) = writeRegion(w.region, offset: w.offset, data: w.data) { return .failure(e) }
            }
            var out: [UInt8] = []
            out.appendLittleEndian(UInt64(writes.count))
            return .success(out)
        case .deviceReset:
            reset()
            return .success([])
        case .unsupported(let command):
            note("command \(command) is not supported")
            return .failure(.enosys)
        case .dmaMap, .deviceSetIRQs:
            return .failure(.einval)
        }
    }

    /// Ends the session as the protocol asks on client disconnect: DMA windows unmapped,
    /// eventfds closed, device state kept. The MSI-X sink stays, so interrupts raised while no
    /// client is connected are counted as lost.
    public func disconnect() {
        staged.removeAll()
        unmapAllDMA()
        peer = nil
        failure = nil
        clientMaxDataTransfer = VFIOUser.maxDataTransfer
        for fd in vectorEventFDs + msiEventFDs where fd >= 0 { Foundation.close(fd) }
        vectorEventFDs = vectorEventFDs.map { _ in -1 }
        msiEventFDs = msiEventFDs.map { _ in -1 }
        negotiated = false
    }

    /// Stops serving: disconnects and gives MSI-X and MSI back to the bench.
    public func close() {
        disconnect()
        function.msix?.externalSink = nil
        function.msi?.externalSink = nil
    }

    /// The function reset the client asked for: a Function Level Reset.
    func reset() {
        bus.functionLevelReset(function)
        virtualFunctionMemoryEnable = false
    }

    func note(_ message: String) {
        protocolErrors.append("\(function.bdf): \(message)")
    }

    func closeAll(_ fds: [Int32]) {
        for fd in fds where fd >= 0 { Foundation.close(fd) }
    }

    static func reply(to header: VFIOUserHeader, payload: [UInt8]) -> VFIOUserReply {
        var out: [UInt8] = []
        out.reserveCapacity(VFIOUser.headerSize + payload.count)
        VFIOUserHeader(
            id: header.id, command: header.command, size: UInt32(VFIOUser.headerSize + payload.count),
            flags: VFIOUser.Flags.reply
        ).encode(into: &out)
        out.append(contentsOf: payload)
        return VFIOUserReply(bytes: out)
    }

    static func reply(to header: VFIOUserHeader, errno: VFIOUserErrno) -> VFIOUserReply {
        var out: [UInt8] = []
        VFIOUserHeader(
            id: header.id, command: header.command, size: UInt32(VFIOUser.headerSize),
            flags: VFIOUser.Flags.reply | VFIOUser.Flags.error, error: errno.rawValue
        ).encode(into: &out)
        return VFIOUserReply(bytes: out)
    }
}
