import CVFIOUser
import Foundation

/// The client side of a session as the server reaches it with requests of its own
/// (`DMA_READ`, `DMA_WRITE`): send one request, wait for its reply.
public protocol VFIOUserPeer: AnyObject {
    /// Sends a request with `command` and `payload` and returns the client's reply to it, or why
    /// the session cannot go on (the client went away, timed out, or broke the protocol).
    func request(_ command: VFIOUser.Command, payload: [UInt8]) -> Result<VFIOUserIncomingMessage, VFIOUserSessionEnd>
}

/// A connected client socket with the requests the client sent while the server was waiting
/// for a reply of its own.
///
/// The protocol lets a client send requests at any time, so one may arrive between the
/// server's `DMA_READ` and its reply (QEMU's vCPUs keep posting region writes while its main
/// loop serves the DMA). The server is in the middle of a device operation then and cannot
/// run another one inside it, so such requests are queued, in order, and served after the
/// current one (``dequeue()``), before anything else is read from the socket. The queue is
/// bounded; a client that floods it, answers with a reply to no request, or stays silent past
/// the timeout ends its session.
public final class VFIOUserSessionTransport: VFIOUserPeer {
    /// The connected socket (not owned: the server closes it).
    public let socket: Int32
    /// How long a reply may take.
    let timeoutMilliseconds: Int32
    private var queued: [VFIOUserIncomingMessage] = []
    private var queueHead = 0
    private var nextID: UInt16 = 0
    /// Requests that may wait while a reply is awaited.
    public static let maxQueuedRequests = 64

    /// Wraps a connected socket.
    public init(socket: Int32, timeoutMilliseconds: Int32) {
        self.socket = socket
        self.timeoutMilliseconds = timeoutMilliseconds
    }

    deinit { discardQueued() }

    /// Whether client requests are waiting to be served.
    public var hasQueued: Bool { queueHead < queued.count }

    /// The oldest queued client request, if any (the caller owns its descriptors).
    public func dequeue() -> VFIOUserIncomingMessage? {
        guard queueHead < queued.count else { return nil }
        let message = queued[queueHead]
        queueHead += 1
        if queueHead == queued.count {
            queued.removeAll(keepingCapacity: true)
            queueHead = 0
        }
        return message
    }

    /// Drops queued requests and closes their descriptors (the session ended).
    public func discardQueued() {
        for message in queued[queueHead...] { for fd in message.fileDescriptors { Foundation.close(fd) } }
        queued.removeAll()
        queueHead = 0
    }

    public func request(_ command: VFIOUser.Command, payload: [UInt8]) -> Result<VFIOUserIncomingMessage, VFIOUserSessionEnd> {
        nextID &+= 1
        let id = nextID
        var bytes: [UInt8] = []
        bytes.reserveCapacity(VFIOUser.headerSize + payload.count)
        VFIOUserHeader(
            id: id, command: command.rawValue, size: UInt32(VFIOUser.headerSize + payload.count), flags: VFIOUser.Flags.command
        ).encode(into: &bytes)
        bytes.append(contentsOf: payload)
        let connection = VFIOUserConnection(socket: socket)
        if case .failure(let end) = connection.send(VFIOUserReply(bytes: bytes)) { return .failure(end) }
        let deadline = ContinuousClock.now.advanced(by: .milliseconds(Int(timeoutMilliseconds)))
        while true {
            let left = deadline - ContinuousClock.now
            let ms = left.components.seconds * 1000 + left.components.attoseconds / 1_000_000_000_000_000
            var p = pollfd(fd: socket, events: Int16(POLLIN), revents: 0)
            let ready = ms > 0 ? poll(&p, 1, Int32(clamping: ms)) : 0
            if ready < 0, errno == EINTR { continue }
            guard ready > 0 else { return .failure(.transport(ETIMEDOUT)) }
            let message: VFIOUserIncomingMessage
            switch connection.receive() {
            case .failure(let end): return .failure(end)
            case .success(let m): message = m
            }
            let type = message.header.flags & VFIOUser.Flags.typeMask
            if type == VFIOUser.Flags.reply {
                for fd in message.fileDescriptors { Foundation.close(fd) }
                guard message.header.id == id, message.header.command == command.rawValue else {
                    return .failure(
                        .framing("reply \(message.header.id) (command \(message.header.command)) while awaiting \(id)"))
                }
                return .success(message)
            }
            guard type == VFIOUser.Flags.command, queued.count - queueHead < Self.maxQueuedRequests else {
                for fd in message.fileDescriptors { Foundation.close(fd) }
                return .failure(
                    .framing("message of type \(type) or more than \(Self.maxQueuedRequests) requests while awaiting a reply"))
            }
            queued.append(message)
        }
    }
}
