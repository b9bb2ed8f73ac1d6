import CVFIOUser
import Foundation
import PCIe

/// Serves functions of one bench, each on its own AF_UNIX socket, one client per socket at a
/// time, from a single thread: `poll` over the listeners and connections, one message at a
/// time, and between messages the bench's virtual clock is moved to wall time so the models'
/// timers (keep-alive, mailbox service, timeouts) run as they would on a live host.
///
/// A device's DMA into a client window mapped without a descriptor becomes a `DMA_READ` or
/// `DMA_WRITE` request on that client's socket, awaited in place (bounded by the message
/// timeout); client requests arriving meanwhile are queued and served next
/// (``VFIOUserSessionTransport``).
public final class VFIOUserServer {
    /// One served function.
    public final class Socket {
        /// Path of the listening socket.
        public let path: String
        /// The session logic.
        public let endpoint: VFIOUserEndpoint
        let listener: Int32
        var connection: Int32 = -1
        /// The connected client as the endpoint's peer, with requests queued while the server
        /// awaited a reply of its own.
        var transport: VFIOUserSessionTransport?
        /// Clients accepted so far.
        public internal(set) var sessions = 0
        /// How the last session ended.
        public internal(set) var lastEnd: VFIOUserSessionEnd?

        init(path: String, endpoint: VFIOUserEndpoint, listener: Int32) {
            self.path = path
            self.endpoint = endpoint
            self.listener = listener
        }
    }

    /// Errors setting up a socket.
    public enum Error: Swift.Error, CustomStringConvertible {
        /// The socket could not be created at the path.
        case listen(String, Int32)
        public var description: String {
            switch self {
            case .listen(let path, let e): "cannot listen on \(path): \(String(cString: strerror(e)))"
            }
        }
    }

    /// The served functions.
    public private(set) var sockets: [Socket] = []
    private let bus: PCIBus
    /// Timeout for a client that stops in the middle of a message.
    private let messageTimeoutMilliseconds: Int32
    /// Events worth telling the operator (sessions opened and closed), bounded.
    public private(set) var events = BoundedLog<String>(capacity: 256)
    /// Called with each event as it happens.
    public var onEvent: ((String) -> Void)?
    /// Called after a session ended and its DMA windows and eventfds are gone, before the next
    /// client is accepted on that socket.
    public var onSessionEnd: ((Socket) -> Void)?
    private let wallStart = ContinuousClock.now
    private let virtualStart: VirtualInstant

    /// A server for functions of `bus`.
    public init(bus: PCIBus, messageTimeoutMilliseconds: Int32 = 5000) {
        self.bus = bus
        self.messageTimeoutMilliseconds = messageTimeoutMilliseconds
        virtualStart = bus.services.clock.now
    }

    deinit {
        for s in sockets {
            if s.connection >= 0 { Foundation.close(s.connection) }
            Foundation.close(s.listener)
            unlink(s.path)
            s.endpoint.close()
        }
    }

    /// Starts listening for `function` at `path`.
    @discardableResult
    public func serve(_ function: PCIFunction, at path: String) throws(Error) -> Socket {
        let fd = dbvu_listen_unix(path)
        guard fd >= 0 else { throw .listen(path, errno) }
        let socket = Socket(path: path, endpoint: VFIOUserEndpoint(function: function, bus: bus), listener: fd)
        sockets.append(socket)
        return socket
    }

    /// Serves until `shouldStop` returns true (checked between events, at least every
    /// `tickMilliseconds`).
    public func run(tickMilliseconds: Int32 = 1, shouldStop: () -> Bool) {
        while !shouldStop() {
            pollOnce(timeoutMilliseconds: tickMilliseconds)
        }
    }

    /// Serves requests a client sent while the server awaited its reply to a `DMA_READ` or
    /// `DMA_WRITE` (queued, in order, ahead of anything still on the socket), waits up to
    /// `timeoutMilliseconds` for socket activity (not at all while some are queued), handles
    /// what arrived, then moves the virtual clock to wall time. Staged DMA is written back after
    /// every message and after the clock moved: a device on one socket may DMA while another
    /// socket's message or a timer runs.
    public func pollOnce(timeoutMilliseconds: Int32) {
        var backlog = false
        for s in sockets where s.transport?.hasQueued == true {
            serviceQueued(s)
            backlog = backlog || s.transport?.hasQueued == true
        }
        var fds: [pollfd] = []
        var owners: [(Socket, isListener: Bool)] = []
        for s in sockets {
            if s.connection >= 0 {
                fds.append(pollfd(fd: s.connection, events: Int16(POLLIN), revents: 0))
                owners.append((s, false))
            } else {
                fds.append(pollfd(fd: s.listener, events: Int16(POLLIN), revents: 0))
                owners.append((s, true))
            }
        }
        let ready = poll(&fds, nfds_t(fds.count), backlog ? 0 : timeoutMilliseconds)
        if ready > 0 {
            for (i, entry) in fds.enumerated() where entry.revents != 0 {
                let (socket, isListener) = owners[i]
                if isListener { accept(socket) } else if socket.transport?.hasQueued != true { service(socket) }
            }
        }
        tick()
        finishEvent()
    }

    /// Writes back staged DMA of every endpoint and ends the sessions whose clients failed a
    /// request of the server's.
    private func finishEvent() {
        for s in sockets where s.connection >= 0 {
            s.endpoint.finishRemoteDMA()
        }
        for s in sockets where s.connection >= 0 {
            if let failure = s.endpoint.failure { endSession(s, failure) }
        }
    }

    /// Moves the bench's virtual clock to the wall time elapsed since the server started.
    public func tick() {
        let elapsed = ContinuousClock.now - wallStart
        let ns =
            UInt64(max(0, elapsed.components.seconds)) &* 1_000_000_000
            &+ UInt64(max(0, elapsed.components.attoseconds / 1_000_000_000))
        let target = VirtualInstant(nanoseconds: virtualStart.nanoseconds &+ ns)
        if target > bus.services.clock.now { bus.services.clock.advance(to: target) }
    }

    private func accept(_ socket: Socket) {
        let fd = dbvu_accept(socket.listener, messageTimeoutMilliseconds)
        guard fd >= 0 else { return }
        socket.connection = fd
        let transport = VFIOUserSessionTransport(socket: fd, timeoutMilliseconds: messageTimeoutMilliseconds)
        socket.transport = transport
        socket.endpoint.peer = transport
        socket.sessions += 1
        record("\(socket.endpoint.function.bdf): client connected on \(socket.path)")
    }

    /// Handles one message of a connected client; ends the session on a transport or framing
    /// error.
    private func service(_ socket: Socket) {
        switch VFIOUserConnection(socket: socket.connection).receive() {
        case .failure(let end): endSession(socket, end)
        case .success(let message): handle(message, on: socket)
        }
    }

    /// Serves the requests that were queued while a reply was awaited (handling one may queue
    /// more: at most one queue's worth per call, so other sockets get their turn).
    private func serviceQueued(_ socket: Socket) {
        for _ in 0..<VFIOUserSessionTransport.maxQueuedRequests {
            guard socket.connection >= 0, let message = socket.transport?.dequeue() else { return }
            handle(message, on: socket)
            finishEvent()
        }
    }

    private func handle(_ message: VFIOUserIncomingMessage, on socket: Socket) {
        let reply = socket.endpoint.handle(message.header, payload: message.payload, fileDescriptors: message.fileDescriptors)
        if let failure = socket.endpoint.failure {
            endSession(socket, failure)
            return
        }
        guard let reply else { return }
        if case .failure(let end) = VFIOUserConnection(socket: socket.connection).send(reply) { endSession(socket, end) }
    }

    private func endSession(_ socket: Socket, _ end: VFIOUserSessionEnd) {
        guard socket.connection >= 0 else { return }
        socket.transport?.discardQueued()
        socket.transport = nil
        Foundation.close(socket.connection)
        socket.connection = -1
        socket.lastEnd = end
        socket.endpoint.disconnect()
        record("\(socket.endpoint.function.bdf): session ended: \(end)")
        onSessionEnd?(socket)
    }

    private func record(_ event: String) {
        events.append(event)
        onEvent?(event)
    }

    /// Whether every socket has had at least `sessions` clients and none is connected now.
    public func allSessionsEnded(after sessions: Int = 1) -> Bool {
        !sockets.isEmpty && sockets.allSatisfy { $0.sessions >= sessions && $0.connection < 0 }
    }
}
