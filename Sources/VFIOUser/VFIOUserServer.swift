import CVFIOUser
import Foundation
import PCIe

/// Serves functions of one bench, each on its own AF_UNIX socket, one client per socket at a
/// time, from a single thread: `poll` over the listeners and connections, one message at a
/// time, and between messages the bench's virtual clock is moved to wall time so the models'
/// timers (keep-alive, mailbox service, timeouts) run as they would on a live host.
public final class VFIOUserServer {
    /// One served function.
    public final class Socket {
        /// Path of the listening socket.
        public let path: String
        /// The session logic.
        public let endpoint: VFIOUserEndpoint
        let listener: Int32
        var connection: Int32 = -1
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

    /// Waits up to `timeoutMilliseconds` for socket activity, handles what arrived, then moves
    /// the virtual clock to wall time.
    public func pollOnce(timeoutMilliseconds: Int32) {
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
        let ready = poll(&fds, nfds_t(fds.count), timeoutMilliseconds)
        if ready > 0 {
            for (i, entry) in fds.enumerated() where entry.revents != 0 {
                let (socket, isListener) = owners[i]
                if isListener { accept(socket) } else { service(socket) }
            }
        }
        tick()
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
        socket.sessions += 1
        record("\(socket.endpoint.function.bdf): client connected on \(socket.path)")
    }

    /// Handles one message of a connected client; ends the session on a transport or framing
    /// error.
    private func service(_ socket: Socket) {
        let connection = VFIOUserConnection(socket: socket.connection)
        switch connection.receive() {
        case .failure(let end):
            endSession(socket, end)
        case .success(let message):
            guard
                let reply = socket.endpoint.handle(
                    message.header, payload: message.payload, fileDescriptors: message.fileDescriptors)
            else { return }
            if case .failure(let end) = connection.send(reply) { endSession(socket, end) }
        }
    }

    private func endSession(_ socket: Socket, _ end: VFIOUserSessionEnd) {
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
