/// A loopback plug on the far side of a wire: every frame the port transmits comes straight
/// back to the port (a hairpin), as when a NIC's transmit path is benchmarked against its own
/// receive path. No allocation per frame.
///
/// The wire owns its far ends, so it outlives the plug while the plug is attached; the plug
/// refers to it through an `Unmanaged` reference, not `weak` (a weak reference would put the
/// wire on Swift's slow reference-counting path for good) and without a retain per frame.
public final class WireLoopback: FrameSink {
    @exclusivity(unchecked) private var wire: Unmanaged<Wire>?
    /// Frames sent back.
    @exclusivity(unchecked) public private(set) var framesLooped: UInt64 = 0

    /// A loopback plug; attach it with ``attach(to:)``.
    public init() {}

    /// Adds the plug to the far side of `wire`.
    public func attach(to wire: Wire) {
        self.wire = .passUnretained(wire)
        wire.addFarEnd(self)
    }

    /// Takes the plug off its wire.
    public func detach() {
        wire?.takeUnretainedValue().removeFarEnd(self)
        wire = nil
    }

    /// Sends `frame` back towards the port.
    public func receive(_ frame: UnsafeRawBufferPointer) {
        framesLooped &+= 1
        wire?._withUnsafeGuaranteedRef { $0.transmitToPort(frame) }
    }

    /// Sends a burst back towards the port as one burst.
    public func receive(batch frames: UnsafeBufferPointer<UnsafeRawBufferPointer>) {
        framesLooped &+= UInt64(frames.count)
        wire?._withUnsafeGuaranteedRef { $0.transmitToPort(batch: frames) }
    }
}
