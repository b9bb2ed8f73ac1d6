import ENA
import Network
import PCIe
import RegisterModel
import Testing

typealias R = ENARegisters

/// One ENA function on a bus, enumerated by firmware and driven at register level: the tests
/// write admin entries and descriptors into guest memory themselves, as a driver would.
final class ENABench {
    let bus = PCIBus()
    let function: PCIFunction
    let access: BusDeviceAccess
    let device: ENADevice
    let wire = Wire()
    let far = FrameRecorder()
    let bar = ENA.registerBAR
    private(set) var adminQueue: DMABuffer?
    private(set) var completionQueue: DMABuffer?
    private(set) var eventQueue: DMABuffer?
    private(set) var adminDepth = 32
    private(set) var adminTail: UInt16 = 0
    private(set) var completionHead: UInt16 = 0
    private(set) var eventHead: UInt16 = 0
    private var nextCommandID: UInt16 = 1

    init(_ configuration: ENAConfiguration = ENAConfiguration(allowances: .unlimited)) throws {
        function = try ENA.makeFunction(
            at: BDF(bus: 0, device: 5, function: 0), services: bus.services, configuration: configuration, wire: wire)
        try bus.attach(function)
        _ = Firmware(bus: bus).enumerateAndAssign()
        access = bus.access(function.bdf)
        let command = access.configRead(4, width: .word)
        access.configWrite(4, width: .word, value: command | 0x6)
        device = try #require(function.model as? ENADevice)
        wire.addFarEnd(far)
    }

    var guestErrors: [GuestError] { bus.services.guestErrors.entries }
    var clock: VirtualClock { bus.services.clock }
    func read32(_ offset: Int) -> UInt32 { access.read32(bar, UInt64(offset)) }
    func write32(_ offset: Int, _ value: UInt32) { access.write32(bar, UInt64(offset), value) }
    var status: UInt32 { read32(R.DEV_STS.offset) }
    func interrupts(_ vector: Int) -> UInt64 { function.msix?.delivered[vector] ?? 0 }
    /// Whether a guest error mentioning `text` was recorded.
    func recorded(_ text: String) -> Bool { guestErrors.contains { $0.detail.contains(text) } }

    /// Enables MSI-X with every vector unmasked.
    func enableMSIX() {
        let at = ConfigOffset(ENA.msixCapabilityOffset + 2)
        access.configWrite(at, width: .word, value: access.configRead(at, width: .word) | 0x8000)
        for v in 0..<(function.msix?.vectorCount ?? 0) {
            access.write64(ENA.msixBAR, UInt64(16 * v), 0xfee0_0000)
            access.write32(ENA.msixBAR, UInt64(16 * v + 8), UInt32(0x40 + v))
            access.write32(ENA.msixBAR, UInt64(16 * v + 12), 0)
        }
    }

    /// The reset handshake the Linux driver does: DEV_RESET with the reason, then 0.
    func reset(reason: UInt8 = 0) {
        write32(R.DEV_CTL.offset, 1 | UInt32(reason & 0xF) << 28 | UInt32(reason >> 4) << 24)
        write32(R.DEV_CTL.offset, 0)
        adminQueue = nil
        eventQueue = nil
    }

    /// Programs the admin queues (64-byte entries both ways unless told).
    func setUpAdmin(depth: Int = 32, completionEntrySize: Int = 64) throws {
        let sq = try access.allocateDMA(depth * 64)
        let cq = try access.allocateDMA(depth * completionEntrySize)
        write32(R.AQ_BASE_LO.offset, UInt32(truncatingIfNeeded: sq.deviceAddress.value))
        write32(R.AQ_BASE_HI.offset, UInt32(truncatingIfNeeded: sq.deviceAddress.value >> 32))
        write32(R.ACQ_BASE_LO.offset, UInt32(truncatingIfNeeded: cq.deviceAddress.value))
        write32(R.ACQ_BASE_HI.offset, UInt32(truncatingIfNeeded: cq.deviceAddress.value >> 32))
        write32(R.AQ_CAPS.offset, UInt32(depth) | 64 << 16)
        write32(R.ACQ_CAPS.offset, UInt32(depth) | UInt32(completionEntrySize) << 16)
        adminQueue = sq
        completionQueue = cq
        adminDepth = depth
        adminTail = 0
        completionHead = 0
        acqEntrySize = completionEntrySize
    }
    private var acqEntrySize = 64

    /// Programs the event queue and gives the device all of it.
    func setUpEvents(depth: Int = 16) throws {
        let q = try access.allocateDMA(depth * 64)
        write32(R.AENQ_BASE_LO.offset, UInt32(truncatingIfNeeded: q.deviceAddress.value))
        write32(R.AENQ_BASE_HI.offset, UInt32(truncatingIfNeeded: q.deviceAddress.value >> 32))
        write32(R.AENQ_CAPS.offset, UInt32(depth) | 64 << 16)
        write32(R.AENQ_HEAD_DB.offset, UInt32(depth))
        eventQueue = q
        eventHead = 0
    }

    /// Reset, admin queues, MSI-X, event queue with every supported group enabled.
    static func ready(_ configuration: ENAConfiguration = ENAConfiguration(allowances: .unlimited)) throws -> ENABench {
        let b = try ENABench(configuration)
        b.reset()
        b.enableMSIX()
        try b.setUpAdmin()
        try b.setUpEvents()
        let c = try b.setFeature(.aenqConfig) { $0.store(UInt32(0x99), at: 24) }
        #expect(c.status == 0)
        return b
    }

    /// Posts `entry` (command id and phase filled in) and rings the doorbell; returns the
    /// completion the device wrote, if any.
    @discardableResult
    func submit(_ entry: ENAAdminEntry, ring: Bool = true) throws -> ENAAdminEntry? {
        let sq = try #require(adminQueue?.host.baseAddress)
        var e = entry
        e.commandID = nextCommandID
        nextCommandID = (nextCommandID + 1) & 0xFFF
        let index = Int(adminTail) & (adminDepth - 1)
        e.submissionFlags = (e.submissionFlags & ~1) | (((Int(adminTail) / adminDepth) & 1 == 0) ? 1 : 0)
        e.store(to: sq + index * 64)
        adminTail &+= 1
        if ring { write32(R.AQ_DB.offset, UInt32(adminTail)) }
        return reapAdmin()
    }

    /// The next admin completion if its phase says it is new.
    func reapAdmin() -> ENAAdminEntry? {
        guard let cq = completionQueue?.host.baseAddress else { return nil }
        let index = Int(completionHead) & (adminDepth - 1)
        var c = ENAAdminEntry()
        var full = [UInt8](repeating: 0, count: 64)
        full.withUnsafeMutableBytes {
            $0.copyMemory(from: UnsafeRawBufferPointer(start: cq + index * acqEntrySize, count: acqEntrySize))
        }
        full.withUnsafeBytes { c = ENAAdminEntry(loadingFrom: $0.baseAddress ?? UnsafeRawPointer(cq)) }
        let expected: UInt8 = (Int(completionHead) / adminDepth) & 1 == 0 ? 1 : 0
        guard c.completionFlags & 1 == expected else { return nil }
        completionHead &+= 1
        return c
    }

    /// Runs an admin command and requires a completion.
    func admin(_ opcode: ENAAdminOpcode, _ fill: (inout ENAAdminEntry) -> Void = { _ in }) throws -> ENAAdminEntry {
        var e = ENAAdminEntry()
        e.opcode = opcode.rawValue
        fill(&e)
        return try #require(try submit(e))
    }

    func getFeature(_ id: ENAFeatureID, version: UInt8 = 0, _ fill: (inout ENAAdminEntry) -> Void = { _ in }) throws
        -> ENAAdminEntry
    {
        try admin(.getFeature) {
            $0.store(id.rawValue, at: 17)
            $0.store(version, at: 18)
            fill(&$0)
        }
    }

    func setFeature(_ id: ENAFeatureID, _ fill: (inout ENAAdminEntry) -> Void = { _ in }) throws -> ENAAdminEntry {
        try admin(.setFeature) {
            $0.store(id.rawValue, at: 17)
            fill(&$0)
        }
    }

    /// Events the device wrote since the last call, by phase.
    func reapEvents() -> [ENAAdminEntry] {
        guard let q = eventQueue?.host.baseAddress else { return [] }
        let depth = (eventQueue?.count ?? 64) / 64
        var out: [ENAAdminEntry] = []
        while true {
            let index = Int(eventHead) & (depth - 1)
            let e = ENAAdminEntry(loadingFrom: q + index * 64)
            let expected: UInt8 = (Int(eventHead) / depth) & 1 == 0 ? 1 : 0
            guard e.load(UInt8.self, at: 4) & 1 == expected else { break }
            out.append(e)
            eventHead &+= 1
        }
        return out
    }

    /// Gives consumed events back to the device.
    func acknowledgeEvents() {
        let depth = (eventQueue?.count ?? 64) / 64
        write32(R.AENQ_HEAD_DB.offset, UInt32(eventHead &+ UInt16(depth)))
    }
}
