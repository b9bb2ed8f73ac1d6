/// Anything that frames can be delivered to: a NIC port, a peer host, a recorder, a capture file.
///
/// `frame` starts with the destination MAC address and has no FCS. It is only valid for the
/// duration of the call; a sink that keeps a frame must copy it.
public protocol FrameSink: AnyObject {
    /// Takes delivery of one frame.
    func receive(_ frame: UnsafeRawBufferPointer)

    /// Takes delivery of several frames, in order, as if each had been given to
    /// ``receive(_:)`` in turn (which the default implementation does). A sink that can handle
    /// a burst more cheaply (a NIC port filling several receive buffers) overrides it; the
    /// frames and the list are only valid for the duration of the call.
    func receive(batch frames: UnsafeBufferPointer<UnsafeRawBufferPointer>)
}

extension FrameSink {
    /// Delivers each frame through ``receive(_:)``, in order.
    public func receive(batch frames: UnsafeBufferPointer<UnsafeRawBufferPointer>) {
        for frame in frames { receive(frame) }
    }
}
