/// A message signalled interrupt as it left the function.
public struct InterruptMessage: Sendable, Equatable {
    /// The signalling function.
    public let source: BDF
    /// MSI-X vector (table index).
    public let vector: Int
    /// Message address programmed in the table.
    public let address: UInt64
    /// Message data programmed in the table.
    public let data: UInt32
    /// When it was delivered.
    public let time: VirtualInstant
}

/// MSI-X state of one function: the table and PBA that live in a BAR, the enable and function
/// mask bits mirrored from config space, and per-vector delivery counters.
///
/// Devices call ``signal(_:)``. Delivery honours MSI-X Enable, Function Mask and the per-vector
/// mask; a masked vector sets its pending bit and is delivered when unmasked (PCI 3.0 §6.8.3.5).
/// While MSI-X is disabled and the function's MSI is enabled, signals go to its
/// ``MSIController`` instead.
/// Drivers wait on vectors through ``DeviceAccess``; tests read the counters.
public final class MSIXController {
    /// Size of one table entry in bytes.
    public static let entrySize = 16

    /// Number of vectors (Table Size + 1).
    public let vectorCount: Int
    /// BAR holding the table.
    public let tableBAR: BARIndex
    /// Offset of the table in its BAR.
    public let tableOffset: UInt64
    /// BAR holding the pending bit array.
    public let pbaBAR: BARIndex
    /// Offset of the PBA in its BAR.
    public let pbaOffset: UInt64

    /// The function's current address (VFs move when ARI changes).
    public internal(set) var source: BDF
    /// MSI-X Enable, mirrored from Message Control.
    public internal(set) var enabled = false
    /// Function Mask, mirrored from Message Control.
    public internal(set) var functionMasked = false

    // The table's arrays are only read or written element by element, never across a call out.
    @exclusivity(unchecked) private var addressLow: [UInt32]
    @exclusivity(unchecked) private var addressHigh: [UInt32]
    @exclusivity(unchecked) private var data: [UInt32]
    @exclusivity(unchecked) private var control: [UInt32]
    @exclusivity(unchecked) private var pending: [Bool]
    /// Messages delivered per vector since creation.
    public private(set) var delivered: [UInt64]
    /// Delivered but not yet consumed by a waiter, per vector.
    private var unconsumed: [UInt64]
    /// Signals dropped because MSI-X was disabled.
    public private(set) var droppedWhileDisabled: UInt64 = 0
    /// The most recent message.
    public private(set) var lastMessage: InterruptMessage?
    /// When set, an interrupt controller outside the bench owns the table (a vfio-user client
    /// emulates MSI-X itself, as a VMM does for an assigned device): every signalled vector goes
    /// to this sink, whatever the table and Message Control say, and the sink reports whether it
    /// reached anyone. Counted in ``delivered`` like any other delivery.
    public var externalSink: ((Int) -> Bool)?
    /// The function's MSI, which sends the vectors while MSI-X is disabled and MSI enabled.
    var messageSignalledFallback: MSIController?
    private let clock: VirtualClock

    /// Creates the state for `vectorCount` vectors (all masked, as after reset).
    public init(
        vectorCount: Int, table: (BARIndex, UInt64), pba: (BARIndex, UInt64), source: BDF, clock: VirtualClock
    ) {
        let n = max(1, min(vectorCount, 2048))
        self.vectorCount = n
        (tableBAR, tableOffset) = table
        (pbaBAR, pbaOffset) = pba
        self.source = source
        self.clock = clock
        addressLow = Array(repeating: 0, count: n)
        addressHigh = addressLow
        data = addressLow
        control = Array(repeating: 1, count: n)
        pending = Array(repeating: false, count: n)
        delivered = Array(repeating: 0, count: n)
        unconsumed = delivered
    }

    /// Bytes of table the BAR must hold.
    public var tableSize: UInt64 { UInt64(vectorCount * Self.entrySize) }
    /// Bytes of PBA (whole qwords).
    public var pbaSize: UInt64 { UInt64((vectorCount + 63) / 64 * 8) }

    /// Whether the vector's mask bit is set.
    public func isMasked(_ vector: Int) -> Bool {
        guard vector >= 0, vector < vectorCount else { return true }
        return control[vector] & 1 != 0
    }

    /// Whether the vector's pending bit is set.
    public func isPending(_ vector: Int) -> Bool {
        guard vector >= 0, vector < vectorCount else { return false }
        return pending[vector]
    }

    /// Signals `vector`. Out-of-range vectors are ignored (returns false).
    @discardableResult
    public func signal(_ vector: Int) -> Bool {
        guard vector >= 0, vector < vectorCount else { return false }
        if !enabled, let msi = messageSignalledFallback, msi.enabled { return msi.signal(vector) }
        if let externalSink {
            guard externalSink(vector) else { return false }
            delivered[vector] &+= 1
            return true
        }
        guard enabled else {
            droppedWhileDisabled &+= 1
            return false
        }
        if functionMasked || control[vector] & 1 != 0 {
            pending[vector] = true
            return false
        }
        deliver(vector)
        return true
    }

    private func deliver(_ vector: Int) {
        pending[vector] = false
        delivered[vector] &+= 1
        unconsumed[vector] &+= 1
        lastMessage = InterruptMessage(
            source: source, vector: vector,
            address: UInt64(addressHigh[vector]) << 32 | UInt64(addressLow[vector]),
            data: data[vector], time: clock.now)
    }

    /// Consumes one delivered interrupt of `vector` if any. Returns whether one was there.
    public func consume(_ vector: Int) -> Bool {
        guard vector >= 0, vector < vectorCount, unconsumed[vector] > 0 else { return false }
        unconsumed[vector] -= 1
        return true
    }

    /// Delivers pending vectors that are no longer masked.
    func deliverUnmaskedPending() {
        guard enabled, !functionMasked else { return }
        for v in 0..<vectorCount where pending[v] && control[v] & 1 == 0 { deliver(v) }
    }

    /// Updates Enable and Function Mask from Message Control.
    func update(enabled: Bool, functionMasked: Bool) {
        self.enabled = enabled
        self.functionMasked = functionMasked
        deliverUnmaskedPending()
    }

    /// Returns to reset state: all vectors masked, nothing pending, MSI-X disabled.
    func reset() {
        for v in 0..<vectorCount {
            addressLow[v] = 0
            addressHigh[v] = 0
            data[v] = 0
            control[v] = 1
            pending[v] = false
        }
        enabled = false
        functionMasked = false
    }

    // MARK: BAR access

    /// Whether `offset` of `bar` falls in the table or PBA.
    func claims(_ bar: BARIndex, _ offset: UInt64) -> Bool {
        (bar == tableBAR && offset >= tableOffset && offset - tableOffset < tableSize)
            || (bar == pbaBAR && offset >= pbaOffset && offset - pbaOffset < pbaSize)
    }

    /// Whether any of `count` bytes from `offset` of `bar` is in the table or the PBA.
    func overlaps(_ bar: BARIndex, _ offset: UInt64, count: UInt64) -> Bool {
        func intersects(_ start: UInt64, _ size: UInt64) -> Bool {
            size > 0 && count > 0 && offset < start &+ size && start < offset &+ count
        }
        return (bar == tableBAR && intersects(tableOffset, tableSize)) || (bar == pbaBAR && intersects(pbaOffset, pbaSize))
    }

    /// A guest read of the table or PBA (dword or qword, naturally aligned).
    func read(_ bar: BARIndex, _ offset: UInt64, _ width: AccessWidth) -> UInt64 {
        if bar == tableBAR, offset >= tableOffset, offset - tableOffset < tableSize {
            let rel = offset - tableOffset
            let lo = readTableDword(Int(rel / 4))
            return width == .qword ? lo | readTableDword(Int(rel / 4) + 1) << 32 : lo & width.allOnes
        }
        let rel = Int(offset - pbaOffset)
        var value: UInt64 = 0
        for bit in 0..<(width.rawValue * 8) {
            let v = rel * 8 + bit
            if v < vectorCount, pending[v] { value |= 1 << UInt64(bit) }
        }
        return value
    }

    private func readTableDword(_ index: Int) -> UInt64 {
        let v = index / 4
        guard v < vectorCount else { return 0 }
        switch index % 4 {
        case 0: return UInt64(addressLow[v])
        case 1: return UInt64(addressHigh[v])
        case 2: return UInt64(data[v])
        default: return UInt64(control[v])
        }
    }

    /// A guest write to the table (PBA is read-only).
    func write(_ bar: BARIndex, _ offset: UInt64, _ width: AccessWidth, _ value: UInt64) {
        guard bar == tableBAR, offset >= tableOffset, offset - tableOffset < tableSize else { return }
        let index = Int((offset - tableOffset) / 4)
        writeTableDword(index, UInt32(truncatingIfNeeded: value))
        if width == .qword { writeTableDword(index + 1, UInt32(truncatingIfNeeded: value >> 32)) }
    }

    private func writeTableDword(_ index: Int, _ value: UInt32) {
        let v = index / 4
        guard v < vectorCount else { return }
        switch index % 4 {
        case 0: addressLow[v] = value & ~3
        case 1: addressHigh[v] = value
        case 2: data[v] = value
        default:
            control[v] = value & 1
            if value & 1 == 0, pending[v], enabled, !functionMasked { deliver(v) }
        }
    }
}
