/// The cable between one NIC port and the far side.
///
/// Frames the port transmits (``transmitFromPort(_:)``) reach every far-end sink (peers and taps)
/// in attach order; frames a peer or generator transmits (``transmitToPort(_:)``) reach the port.
/// Delivery is synchronous on the caller's stack, so a far end may answer from inside
/// `receive` (see ``PeerHost``). The wire keeps strong references to its sinks: a sink that
/// transmits back should hold the wire weakly or unowned. No allocation per frame.
public final class Wire {
    /// The NIC side, or nil before ``connectPort(_:)``.
    @exclusivity(unchecked) private var port: (any FrameSink)?
    /// Peers and taps on the far side, in attach order.
    @exclusivity(unchecked) private var farEnds: [any FrameSink] = []

    /// Frames the port transmitted.
    @exclusivity(unchecked) public private(set) var framesFromPort: UInt64 = 0
    /// Bytes (without FCS) the port transmitted.
    @exclusivity(unchecked) public private(set) var bytesFromPort: UInt64 = 0
    /// Frames sent towards the port (counted even when no port is connected; those are lost).
    @exclusivity(unchecked) public private(set) var framesToPort: UInt64 = 0
    /// Bytes (without FCS) sent towards the port.
    @exclusivity(unchecked) public private(set) var bytesToPort: UInt64 = 0

    /// An unconnected wire.
    public init() {}

    /// True when a port is connected.
    public var isPortConnected: Bool { port != nil }

    /// The number of far-end sinks.
    public var farEndCount: Int { farEnds.count }

    /// Connects the NIC side; frames sent by the far side arrive at `sink`. Replaces any earlier port.
    public func connectPort(_ sink: any FrameSink) {
        port = sink
    }

    /// Disconnects the NIC side; frames towards the port are then counted and dropped.
    public func disconnectPort() {
        port = nil
    }

    /// Adds a peer or tap on the far side; every frame the port transmits reaches it.
    public func addFarEnd(_ sink: any FrameSink) {
        farEnds.append(sink)
    }

    /// Removes a far-end sink (by identity); no effect when it is not attached.
    public func removeFarEnd(_ sink: any FrameSink) {
        farEnds.removeAll { $0 === sink }
    }

    /// Called by the NIC: counts the frame and delivers it to every far-end sink in attach order.
    public func transmitFromPort(_ frame: UnsafeRawBufferPointer) {
        framesFromPort &+= 1
        bytesFromPort &+= UInt64(frame.count)
        for sink in farEnds {
            sink.receive(frame)
        }
    }

    /// Called by a peer or generator: counts the frame and delivers it to the port, if connected.
    public func transmitToPort(_ frame: UnsafeRawBufferPointer) {
        framesToPort &+= 1
        bytesToPort &+= UInt64(frame.count)
        port?.receive(frame)
    }

    /// Resets the four counters to zero.
    public func resetCounters() {
        framesFromPort = 0
        bytesFromPort = 0
        framesToPort = 0
        bytesToPort = 0
    }
}
