/// A sink that keeps copies of the first ``capacity`` frames it receives and counts all of them.
public final class FrameRecorder: FrameSink {
    /// How many frames are kept.
    public let capacity: Int
    /// Copies of the first ``capacity`` frames, in arrival order.
    public private(set) var frames: [[UInt8]] = []
    /// Every frame received, kept or not.
    public private(set) var count: Int = 0
    /// Bytes of every frame received.
    public private(set) var byteCount: UInt64 = 0

    /// A recorder keeping at most `capacity` frames (negative counts as zero).
    public init(capacity: Int = 1024) {
        self.capacity = max(0, capacity)
        frames.reserveCapacity(min(self.capacity, 1024))
    }

    /// Counts the frame and copies it while fewer than ``capacity`` are kept.
    public func receive(_ frame: UnsafeRawBufferPointer) {
        count &+= 1
        byteCount &+= UInt64(frame.count)
        if frames.count < capacity {
            frames.append(Array(frame))
        }
    }

    /// Forgets all frames and zeroes the counts.
    public func removeAll() {
        frames.removeAll(keepingCapacity: true)
        count = 0
        byteCount = 0
    }
}
