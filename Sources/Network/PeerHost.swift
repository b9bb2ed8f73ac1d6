/// A host on the far side of a ``Wire``: it counts the frames addressed to it (or broadcast) and,
/// with ``echo`` on, answers each one with a copy whose destination is the original source and
/// whose source is this host, so the NIC receives a reply.
///
/// Replies are built in a buffer allocated once; a reply needed while another is still being
/// delivered (a NIC that transmits from inside its receive path) uses a temporary buffer instead,
/// so nested echoes never overwrite a frame in flight.
public final class PeerHost: FrameSink {
    /// Frames up to this length are echoed from the preallocated buffer.
    public static let bufferLength = 16 * 1024

    /// This host's MAC address.
    public let address: MACAddress
    /// Whether accepted frames are sent back towards the port.
    public var echo: Bool
    /// Frames accepted: addressed to ``address`` or broadcast.
    public private(set) var framesReceived: UInt64 = 0
    /// Bytes of the accepted frames.
    public private(set) var bytesReceived: UInt64 = 0
    /// Frames not accepted (other destinations, or shorter than an Ethernet header).
    public private(set) var framesIgnored: UInt64 = 0
    /// Replies sent by echo.
    public private(set) var framesEchoed: UInt64 = 0
    /// Frames sent with `send`.
    public private(set) var framesSent: UInt64 = 0

    /// The wire this host is attached to (weak: the wire owns its far ends).
    private weak var wire: Wire?
    /// Where replies are built (see ``ReplyBuffer``).
    private let replies = ReplyBuffer(length: bufferLength)

    /// A host with `address`, echoing when `echo` is true. Attach it with ``attach(to:)``.
    public init(address: MACAddress, echo: Bool = false) {
        self.address = address
        self.echo = echo
    }

    /// Adds this host to the far side of `wire` and sends through it from now on.
    public func attach(to wire: Wire) {
        self.wire = wire
        wire.addFarEnd(self)
    }

    /// Sends a frame towards the port (dropped when not attached).
    public func send(_ frame: UnsafeRawBufferPointer) {
        guard let wire else { return }
        framesSent &+= 1
        wire.transmitToPort(frame)
    }

    /// Sends a frame towards the port (dropped when not attached).
    public func send(_ frame: [UInt8]) {
        frame.withUnsafeBytes { send($0) }
    }

    /// Counts a frame for this host (or broadcast) and echoes it when ``echo`` is on.
    public func receive(_ frame: UnsafeRawBufferPointer) {
        guard frame.count >= 14 else {
            framesIgnored &+= 1
            return
        }
        let destination = MACAddress(frame, at: 0)
        guard destination == address || destination.isBroadcast else {
            framesIgnored &+= 1
            return
        }
        framesReceived &+= 1
        bytesReceived &+= UInt64(frame.count)
        guard echo, let wire else { return }
        replies.withSpace(frame.count) { reply(to: frame, using: $0, on: wire) }
    }

    /// Copies `frame` into `space`, swaps in the reply addresses and sends it.
    private func reply(to frame: UnsafeRawBufferPointer, using space: UnsafeMutableRawBufferPointer, on wire: Wire) {
        let reply = UnsafeMutableRawBufferPointer(rebasing: space[0..<frame.count])
        guard let base = reply.baseAddress else { return }
        reply.copyMemory(from: frame)
        MACAddress(frame, at: 6).store(to: base)
        address.store(to: base + 6)
        framesEchoed &+= 1
        wire.transmitToPort(UnsafeRawBufferPointer(reply))
    }
}
