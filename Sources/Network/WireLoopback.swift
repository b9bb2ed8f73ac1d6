/// A loopback plug on the far side of a wire: every frame the port transmits comes straight
/// back to the port (a hairpin), as when a NIC's transmit path is benchmarked against its own
/// receive path. Holds the wire weakly (the wire owns its far ends); no allocation per frame.
public final class WireLoopback: FrameSink {
    private weak var wire: Wire?
    /// Frames sent back.
    public private(set) var framesLooped: UInt64 = 0

    /// A loopback plug; attach it with ``attach(to:)``.
    public init() {}

    /// Adds the plug to the far side of `wire`.
    public func attach(to wire: Wire) {
        self.wire = wire
        wire.addFarEnd(self)
    }

    /// Sends `frame` back towards the port.
    public func receive(_ frame: UnsafeRawBufferPointer) {
        framesLooped &+= 1
        wire?.transmitToPort(frame)
    }
}
