/// Anything that frames can be delivered to: a NIC port, a peer host, a recorder, a capture file.
///
/// `frame` starts with the destination MAC address and has no FCS. It is only valid for the
/// duration of the call; a sink that keeps a frame must copy it.
public protocol FrameSink: AnyObject {
    /// Takes delivery of one frame.
    func receive(_ frame: UnsafeRawBufferPointer)
}
