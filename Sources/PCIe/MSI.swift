/// MSI state of one function: Message Control, address, data and the per-vector mask bits
/// mirrored from the MSI capability in config space, the pending bits the function owns, and
/// per-vector delivery counters (PCI 3.0 §6.8.1, §6.8.3).
///
/// Devices keep signalling through ``MSIXController/signal(_:)``: when MSI-X Enable is clear
/// and MSI Enable is set (the OS chose MSI for a function that offers both), the MSI-X
/// controller hands the vector here, as hardware switches its message source. A vector at or
/// above the number of vectors the OS allocated (Multiple Message Enable) folds onto the
/// allocated ones: the function may only change the low bits of Message Data that it was
/// granted (§6.8.3.4). A masked vector sets its pending bit and is sent when unmasked.
public final class MSIController {
    /// Vectors the function requests (Multiple Message Capable: 1, 2, 4, ... 32).
    public let vectorCount: Int
    /// The function's current address (VFs move when ARI changes).
    public internal(set) var source: BDF
    /// MSI Enable, mirrored from Message Control.
    public private(set) var enabled = false
    /// Vectors the OS allocated (Multiple Message Enable, at most ``vectorCount``).
    public private(set) var allocatedVectors = 1
    /// Message Address (both halves).
    public private(set) var address: UInt64 = 0
    /// Message Data (16 bits).
    public private(set) var data: UInt16 = 0
    /// Mask Bits (bit n masks vector n).
    public private(set) var maskBits: UInt32 = 0
    /// Pending Bits (bit n: vector n fired while masked).
    public private(set) var pendingBits: UInt32 = 0
    /// Messages delivered per vector since creation.
    public private(set) var delivered: [UInt64]
    private var unconsumed: [UInt64]
    /// Signals dropped because MSI was disabled.
    public private(set) var droppedWhileDisabled: UInt64 = 0
    /// The most recent message.
    public private(set) var lastMessage: InterruptMessage?
    /// When set, an interrupt controller outside the bench owns MSI (a vfio-user client emulates
    /// the capability's address, data and masks itself): every signalled vector, folded onto the
    /// allocated ones, goes to this sink whatever the mask bits say, and the sink reports whether
    /// it reached anyone. MSI Enable still decides whether a vector goes to MSI at all.
    public var externalSink: ((Int) -> Bool)?
    /// Called when the pending bits change, so config space shows them.
    var pendingChanged: ((UInt32) -> Void)?
    private let clock: VirtualClock

    /// Creates the state for `vectorCount` requested vectors (rounded to a power of two, 1-32).
    public init(vectorCount: Int, source: BDF, clock: VirtualClock) {
        let clamped = max(1, min(vectorCount, 32))
        self.vectorCount = 1 << (Int.bitWidth - 1 - clamped.leadingZeroBitCount)
        self.source = source
        self.clock = clock
        delivered = Array(repeating: 0, count: self.vectorCount)
        unconsumed = delivered
    }

    /// Whether `vector` (after folding) is masked.
    public func isMasked(_ vector: Int) -> Bool { maskBits & (1 << UInt32(fold(vector))) != 0 }

    /// The allocated vector `vector` is sent as.
    public func fold(_ vector: Int) -> Int { max(0, vector) & (allocatedVectors - 1) }

    /// Signals `vector`. Returns whether a message left the function (or reached the sink).
    @discardableResult
    public func signal(_ vector: Int) -> Bool {
        guard enabled else {
            droppedWhileDisabled &+= 1
            return false
        }
        let v = fold(vector)
        if let externalSink {
            guard externalSink(v) else { return false }
            delivered[v] &+= 1
            return true
        }
        let bit = UInt32(1) << UInt32(v)
        if maskBits & bit != 0 {
            if pendingBits & bit == 0 {
                pendingBits |= bit
                pendingChanged?(pendingBits)
            }
            return false
        }
        deliver(v)
        return true
    }

    /// Consumes one delivered interrupt of `vector` if any. Returns whether one was there.
    public func consume(_ vector: Int) -> Bool {
        guard vector >= 0, vector < vectorCount, unconsumed[vector] > 0 else { return false }
        unconsumed[vector] -= 1
        return true
    }

    private func deliver(_ v: Int) {
        delivered[v] &+= 1
        unconsumed[v] &+= 1
        let low = UInt16(allocatedVectors - 1)
        lastMessage = InterruptMessage(
            source: source, vector: v, address: address, data: UInt32((data & ~low) | UInt16(v)), time: clock.now)
    }

    /// Updates the mirrored registers after a config write; sends pending vectors that are no
    /// longer masked.
    func update(control: UInt16, address: UInt64, data: UInt16, maskBits: UInt32) {
        typealias C = MSICapability.MessageControl
        enabled = C.msiEnable.isSet(in: control)
        let requested = min(5, Int(C.multipleMessageEnable.extract(from: control)))
        allocatedVectors = min(vectorCount, 1 << requested)
        self.address = address
        self.data = data
        self.maskBits = maskBits
        guard enabled, externalSink == nil, pendingBits & ~maskBits != 0 else { return }
        for v in 0..<allocatedVectors where pendingBits & ~maskBits & (1 << UInt32(v)) != 0 {
            pendingBits &= ~(1 << UInt32(v))
            deliver(v)
        }
        pendingChanged?(pendingBits)
    }

    /// Returns to reset state: disabled, one vector, nothing masked or pending.
    func reset() {
        enabled = false
        allocatedVectors = 1
        address = 0
        data = 0
        maskBits = 0
        pendingBits = 0
    }
}
