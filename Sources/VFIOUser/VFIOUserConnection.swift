import CVFIOUser
import Foundation

/// One message as it came off the socket.
public struct VFIOUserIncomingMessage {
    /// The header.
    public var header: VFIOUserHeader
    /// Everything after the header.
    public var payload: [UInt8]
    /// Descriptors that came with it (the receiver owns them).
    public var fileDescriptors: [Int32]

    /// A message from its parts.
    public init(header: VFIOUserHeader, payload: [UInt8], fileDescriptors: [Int32]) {
        self.header = header
        self.payload = payload
        self.fileDescriptors = fileDescriptors
    }
}

/// Why a session ended.
public enum VFIOUserSessionEnd: Error, Equatable, CustomStringConvertible {
    /// The client closed the socket between messages.
    case closed
    /// The socket failed or timed out in the middle of a message (errno).
    case transport(Int32)
    /// The stream cannot be trusted any more: a header with an impossible size.
    case framing(String)

    public var description: String {
        switch self {
        case .closed: "client disconnected"
        case .transport(let e): "socket error \(e) (\(String(cString: strerror(e))))"
        case .framing(let why): "framing error: \(why)"
        }
    }
}

/// Message framing over a connected AF_UNIX stream socket: a 16-byte header, then
/// `size - 16` payload bytes; descriptors may arrive with any part and belong to the message.
public struct VFIOUserConnection {
    /// The socket.
    public let socket: Int32

    /// Wraps a connected socket (not owned: the caller closes it).
    public init(socket: Int32) { self.socket = socket }

    /// Reads one whole message. A clean end of stream before the first byte is `.closed`.
    public func receive() -> Result<VFIOUserIncomingMessage, VFIOUserSessionEnd> {
        var fds: [Int32] = []
        var head = [UInt8](repeating: 0, count: VFIOUser.headerSize)
        switch fill(&head, fds: &fds) {
        case .failure(let end):
            closeAll(fds)
            return .failure(end)
        case .success: break
        }
        guard let header = VFIOUserHeader(decoding: head) else { return .failure(.framing("short header")) }
        guard header.size >= VFIOUser.headerSize, header.size <= VFIOUser.maxMessageSize else {
            closeAll(fds)
            return .failure(.framing("message \(header.id) claims \(header.size) bytes"))
        }
        var payload = [UInt8](repeating: 0, count: Int(header.size) - VFIOUser.headerSize)
        if !payload.isEmpty {
            switch fill(&payload, fds: &fds) {
            case .failure(let end):
                closeAll(fds)
                return .failure(end == .closed ? .framing("stream ended inside message \(header.id)") : end)
            case .success: break
            }
        }
        return .success(VFIOUserIncomingMessage(header: header, payload: payload, fileDescriptors: fds))
    }

    /// Sends a reply (all of it, or an error).
    public func send(_ reply: VFIOUserReply) -> Result<Void, VFIOUserSessionEnd> {
        let n = reply.bytes.withUnsafeBytes { bytes in
            reply.fileDescriptors.withUnsafeBufferPointer { fds in
                dbvu_send(socket, bytes.baseAddress, bytes.count, fds.baseAddress, Int32(fds.count))
            }
        }
        return n == reply.bytes.count ? .success(()) : .failure(.transport(errno))
    }

    private func fill(_ buffer: inout [UInt8], fds: inout [Int32]) -> Result<Void, VFIOUserSessionEnd> {
        var got = 0
        var scratch = [Int32](repeating: -1, count: Int(DBVU_MAX_FDS))
        while got < buffer.count {
            var count: Int32 = 0
            let n = buffer.withUnsafeMutableBytes { bytes in
                scratch.withUnsafeMutableBufferPointer { s in
                    guard let base = bytes.baseAddress else { return -1 }
                    return dbvu_receive(socket, base + got, bytes.count - got, s.baseAddress, DBVU_MAX_FDS, &count)
                }
            }
            for i in 0..<Int(count) {
                if fds.count < VFIOUser.maxMessageFileDescriptors { fds.append(scratch[i]) } else { Foundation.close(scratch[i]) }
            }
            if n < 0 { return .failure(.transport(errno)) }
            if n == 0 { return .failure(got == 0 ? .closed : .transport(ECONNRESET)) }
            got += n
        }
        return .success(())
    }

    private func closeAll(_ fds: [Int32]) {
        for fd in fds { Foundation.close(fd) }
    }
}
