/// The cable between one NIC port and the far side.
///
/// Frames the port transmits (``transmitFromPort(_:)``) reach every far-end sink (peers and taps)
/// in attach order; frames a peer or generator transmits (``transmitToPort(_:)``) reach the port.
/// Delivery is synchronous on the caller's stack, so a far end may answer from inside
/// `receive` (see ``PeerHost``). The wire keeps strong references to its sinks: a sink that
/// transmits back should hold the wire weakly or unowned. No allocation per frame.
///
/// Delivery takes no reference count: each sink sits in an immutable box (``SinkBox``) and the
/// far ends in an immutable list (``FarEndList``), reached through `Unmanaged` references the
/// wire keeps alive. A box or list replaced while a delivery is under way (a sink that detaches
/// itself or connects another port from inside `receive`) is kept until the outermost delivery
/// returns, so a running delivery never touches freed memory.
public final class Wire {
    /// The NIC side, or nil before ``connectPort(_:)``.
    @exclusivity(unchecked) private var port: SinkBox?
    @exclusivity(unchecked) private var portReference: Unmanaged<SinkBox>?
    /// Peers and taps on the far side, in attach order.
    @exclusivity(unchecked) private var farEnds = FarEndList([])
    @exclusivity(unchecked) private var farEndsReference: Unmanaged<FarEndList>
    /// Deliveries under way (nested when a sink transmits back), and what was replaced meanwhile.
    @exclusivity(unchecked) private var deliveries = 0
    @exclusivity(unchecked) private var retired: [AnyObject] = []

    /// Frames the port transmitted.
    @exclusivity(unchecked) public private(set) var framesFromPort: UInt64 = 0
    /// Bytes (without FCS) the port transmitted.
    @exclusivity(unchecked) public private(set) var bytesFromPort: UInt64 = 0
    /// Frames sent towards the port (counted even when no port is connected; those are lost).
    @exclusivity(unchecked) public private(set) var framesToPort: UInt64 = 0
    /// Bytes (without FCS) sent towards the port.
    @exclusivity(unchecked) public private(set) var bytesToPort: UInt64 = 0

    /// An unconnected wire.
    public init() {
        farEndsReference = .passUnretained(farEnds)
    }

    /// True when a port is connected.
    public var isPortConnected: Bool { port != nil }

    /// The number of far-end sinks.
    public var farEndCount: Int { farEnds.count }

    /// Connects the NIC side; frames sent by the far side arrive at `sink`. Replaces any earlier port.
    public func connectPort(_ sink: any FrameSink) {
        let box = SinkBox(sink)
        retire(port)
        port = box
        portReference = .passUnretained(box)
    }

    /// Disconnects the NIC side; frames towards the port are then counted and dropped.
    public func disconnectPort() {
        retire(port)
        port = nil
        portReference = nil
    }

    /// Adds a peer or tap on the far side; every frame the port transmits reaches it.
    public func addFarEnd(_ sink: any FrameSink) {
        replaceFarEnds(farEnds.boxes + [SinkBox(sink)])
    }

    /// Removes a far-end sink (by identity); no effect when it is not attached.
    public func removeFarEnd(_ sink: any FrameSink) {
        replaceFarEnds(farEnds.boxes.filter { $0.sink !== sink })
    }

    /// Called by the NIC: counts the frame and delivers it to every far-end sink in attach order.
    public func transmitFromPort(_ frame: UnsafeRawBufferPointer) {
        framesFromPort &+= 1
        bytesFromPort &+= UInt64(frame.count)
        deliveries &+= 1
        farEndsReference._withUnsafeGuaranteedRef { list in
            for i in 0..<list.count {
                list.references[i]._withUnsafeGuaranteedRef { $0.sink.receive(frame) }
            }
        }
        deliveryEnded()
    }

    /// Called by the NIC for a burst: counts every frame and delivers the whole burst to each
    /// far-end sink in turn (``FrameSink/receive(batch:)``), in attach order. Each sink sees the
    /// frames in the order given, as with one ``transmitFromPort(_:)`` per frame; only the
    /// interleaving between sinks differs.
    public func transmitFromPort(batch frames: UnsafeBufferPointer<UnsafeRawBufferPointer>) {
        guard !frames.isEmpty else { return }
        framesFromPort &+= UInt64(frames.count)
        bytesFromPort &+= Self.byteCount(frames)
        deliveries &+= 1
        farEndsReference._withUnsafeGuaranteedRef { list in
            for i in 0..<list.count {
                list.references[i]._withUnsafeGuaranteedRef { $0.sink.receive(batch: frames) }
            }
        }
        deliveryEnded()
    }

    /// Called by a peer or generator for a burst: counts every frame and delivers the burst to
    /// the port, if connected (``FrameSink/receive(batch:)``).
    public func transmitToPort(batch frames: UnsafeBufferPointer<UnsafeRawBufferPointer>) {
        guard !frames.isEmpty else { return }
        framesToPort &+= UInt64(frames.count)
        bytesToPort &+= Self.byteCount(frames)
        guard let target = portReference else { return }
        deliveries &+= 1
        target._withUnsafeGuaranteedRef { $0.sink.receive(batch: frames) }
        deliveryEnded()
    }

    @inline(__always) private static func byteCount(_ frames: UnsafeBufferPointer<UnsafeRawBufferPointer>) -> UInt64 {
        var bytes: UInt64 = 0
        for frame in frames { bytes &+= UInt64(frame.count) }
        return bytes
    }

    /// Called by a peer or generator: counts the frame and delivers it to the port, if connected.
    public func transmitToPort(_ frame: UnsafeRawBufferPointer) {
        framesToPort &+= 1
        bytesToPort &+= UInt64(frame.count)
        guard let target = portReference else { return }
        deliveries &+= 1
        target._withUnsafeGuaranteedRef { $0.sink.receive(frame) }
        deliveryEnded()
    }

    /// Resets the four counters to zero.
    public func resetCounters() {
        framesFromPort = 0
        bytesFromPort = 0
        framesToPort = 0
        bytesToPort = 0
    }

    @inline(__always) private func deliveryEnded() {
        deliveries &-= 1
        if deliveries == 0, !retired.isEmpty { retired.removeAll() }
    }

    private func replaceFarEnds(_ boxes: [SinkBox]) {
        let list = FarEndList(boxes)
        retire(farEnds)
        farEnds = list
        farEndsReference = .passUnretained(list)
    }

    /// Keeps `object` alive until the outermost delivery under way returns.
    private func retire(_ object: AnyObject?) {
        if deliveries > 0, let object { retired.append(object) }
    }
}

/// One sink attached to a ``Wire``, never changed: the wire reads `sink` through a `let` of a box
/// it keeps alive, which needs no retain.
private final class SinkBox {
    let sink: any FrameSink
    init(_ sink: any FrameSink) { self.sink = sink }
}

/// The far ends of a ``Wire``, never changed (the wire replaces the whole list): the boxes, and
/// unretained references to them in attach order for delivery.
private final class FarEndList {
    let boxes: [SinkBox]
    let references: UnsafeMutablePointer<Unmanaged<SinkBox>>
    let count: Int

    init(_ boxes: [SinkBox]) {
        self.boxes = boxes
        count = boxes.count
        references = .allocate(capacity: max(1, boxes.count))
        for (i, box) in boxes.enumerated() { (references + i).initialize(to: .passUnretained(box)) }
    }

    deinit { references.deallocate() }
}
