import PCIe

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// A broken invariant: what the fuzzer reports instead of "did not crash".
public struct FuzzViolation: Error, Equatable, Sendable, CustomStringConvertible {
    /// Index of the operation after which the invariant broke (-1: setup, count: final check).
    public let operationIndex: Int
    /// Which invariant, in a few words (stable, used in reports and tests).
    public let invariant: String
    public let detail: String

    public init(operationIndex: Int, invariant: String, detail: String) {
        self.operationIndex = operationIndex
        self.invariant = invariant
        self.detail = detail
    }

    public var description: String { "after operation \(operationIndex): \(invariant): \(detail)" }
}

/// Guest memory no DMA of the function under test may change, with its checksum.
struct Canary {
    let name: String
    let host: UnsafeMutableRawPointer
    let count: Int
    let checksum: UInt64

    init(name: String, host: UnsafeMutableRawPointer, count: Int, seed: UInt64) {
        var random = SplitMix64(seed: seed)
        for i in stride(from: 0, to: count & ~7, by: 8) { host.storeBytes(of: random.next(), toByteOffset: i, as: UInt64.self) }
        self.name = name
        self.host = host
        self.count = count & ~7
        checksum = Self.checksum(host, count & ~7)
    }

    var intact: Bool { Self.checksum(host, count) == checksum }

    static func checksum(_ p: UnsafeRawPointer, _ count: Int) -> UInt64 {
        var h: UInt64 = 0xCBF2_9CE4_8422_2325
        for i in stride(from: 0, to: count, by: 8) {
            h = (h ^ p.loadUnaligned(fromByteOffset: i, as: UInt64.self)) &* 0x0000_0100_0000_01B3
        }
        return h
    }
}

/// The platform side of a fuzz target: the bus, the function under test, a DMA arena inside
/// its IOMMU domain that memory fills and ring-entry pointers land in, and canary memory
/// outside it. Applies the operations that mean the same on every device.
public final class FuzzHarness {
    public let bus: PCIBus
    /// The function the operations address.
    public private(set) var function: PCIFunction
    public private(set) var access: BusDeviceAccess
    /// Guest memory in the function's domain for fills and ring-entry pointers.
    public let arena: DMABuffer
    private(set) var canaries: [Canary] = []

    /// Size of the DMA arena.
    public static let arenaSize = 64 * 1024
    /// Virtual time one input may advance in total, in microseconds.
    public static let virtualTimeBudget: UInt64 = 10_000_000
    private var virtualTimeLeft = FuzzHarness.virtualTimeBudget

    /// A harness for `function` (already attached to `bus` and enumerated).
    public init(bus: PCIBus, function: PCIFunction) throws {
        self.bus = bus
        self.function = function
        access = bus.access(function.bdf)
        arena = try access.allocateDMA(Self.arenaSize)
        let outside = bus.services.memory.allocate(4096)
        addCanary(name: "memory outside every IOMMU mapping", host: outside.host, count: 4096)
    }

    /// Points the harness at another function (a VF after VFs were re-enabled) and maps the
    /// arena into its domain.
    public func retarget(_ f: PCIFunction) {
        function = f
        access = bus.access(f.bdf)
        try? f.dma.domain.map(
            arena.deviceAddress, size: UInt64(Self.arenaSize), to: GuestPhysicalAddress(arena.deviceAddress.value),
            permissions: .readWrite)
    }

    /// Adds memory that must stay untouched; it is filled with a pattern first.
    public func addCanary(name: String, host: UnsafeMutableRawPointer, count: Int) {
        canaries.append(Canary(name: name, host: host, count: count, seed: UInt64(canaries.count) &+ 0xC0FFEE))
    }

    /// A canary whose checksum changed, if any.
    var brokenCanary: String? { canaries.first { !$0.intact }?.name }

    /// The device address inside the arena that a fuzz word selects.
    public func arenaAddress(_ word: UInt64) -> UInt64 { arena.deviceAddress.value &+ word % UInt64(Self.arenaSize) }

    /// Host pointer of `length` bytes of the guest memory the function under test may use at
    /// device address `iova`, or nil when its IOMMU domain does not map it there (the fuzzer
    /// writes only memory its own guest owns, never a canary).
    public func guestPointer(_ iova: UInt64, length: Int) -> UnsafeMutableRawPointer? {
        guard case .success(let gpa) = function.dma.domain.translate(IOVA(iova), length: UInt64(length), access: .write)
        else { return nil }
        return bus.services.memory.host(gpa, length: UInt64(length))
    }

    /// BAR0 of the function under test has an address (after a bus reset, or once the guest
    /// wrote garbage over it, register checks cannot reach the device).
    public var registersReachable: Bool {
        access.configRead(ConfigOffset(0x10), width: .dword) & ~0xF != 0
            && access.configRead(ConfigOffset(4), width: .word) & 2 != 0
    }

    /// Firmware enumeration again (after a bus reset every BAR is unassigned), then the
    /// harness's view of the BARs follows.
    public func reenumerate() {
        _ = Firmware(bus: bus).enumerateAndAssign()
        access.refreshBARs()
    }

    /// A Function Level Reset the way an OS issues one: the header (BARs, command) saved before
    /// and written back after, so the function keeps its addresses (Linux's pci_save_state and
    /// pci_restore_state around pcie_flr).
    public func functionLevelReset() {
        let saved = stride(from: 0x10, to: 0x28, by: 4).map { ($0, access.configRead(ConfigOffset($0), width: .dword)) }
        let command = access.configRead(ConfigOffset(4), width: .word)
        bus.functionLevelReset(function)
        for (offset, value) in saved { access.configWrite(ConfigOffset(offset), width: .dword, value: value) }
        access.configWrite(ConfigOffset(4), width: .word, value: command)
        access.refreshBARs()
    }

    /// The arena holds `needle` anywhere.
    public func arenaContains(_ needle: [UInt8]) -> Bool { UnsafeRawBufferPointer(arena.host).containsRun(needle) }

    /// Applies the device-independent operations; returns false for those the target handles.
    func applyGeneric(_ op: FuzzOperation) -> Bool {
        switch op {
        case .configRead(let offset, let width):
            _ = access.configRead(ConfigOffset(Int(offset)), width: width)
        case .configWrite(let offset, let width, let value):
            access.configWrite(ConfigOffset(Int(offset)), width: width, value: value)
            if offset >= 0x10, offset < 0x28 { access.refreshBARs() }
        case .mmioRead(let bar, let offset, let width):
            _ = access.barRead(BARIndex(clamping: Int(bar)), offset: UInt64(offset), width: width)
        case .mmioWrite(let bar, let offset, let width, let value):
            access.barWrite(BARIndex(clamping: Int(bar)), offset: UInt64(offset), width: width, value: value)
        case .fillMemory(let offset, let length, let pattern, let seed):
            fill(offset: Int(offset) % Self.arenaSize, length: Int(length), pattern: pattern, seed: seed)
        case .advanceTime(let microseconds):
            // Timers (mailbox service, keep-alives) cost wall time per virtual second; an input
            // gets at most `virtualTimeBudget` so one input cannot take minutes.
            let step = min(UInt64(microseconds), virtualTimeLeft)
            virtualTimeLeft -= step
            bus.services.clock.advance(by: .microseconds(step))
        case .reset(.functionLevel):
            functionLevelReset()
        case .reset(.bus):
            bus.reset()
        default:
            return false
        }
        return true
    }

    /// The marker the plaintext invariant looks for in an encrypting controller's store.
    public static let plaintextMarker: [UInt8] = Array("DeviceBench plaintext marker 01!".utf8)

    private func fill(offset: Int, length: Int, pattern: UInt8, seed: UInt64) {
        guard let base = arena.host.baseAddress else { return }
        let n = min(length, Self.arenaSize - offset) & ~7
        var random = SplitMix64(seed: seed)
        for i in stride(from: 0, to: n, by: 8) {
            let word: UInt64
            switch pattern % 7 {
            case 0: word = 0
            case 1: word = .max
            case 2: word = seed
            case 3: word = arenaAddress(random.next()) & ~UInt64(pattern >> 3 & 1 == 0 ? 0xF : 0)
            case 4:
                word = Self.plaintextMarker.withUnsafeBytes {
                    $0.loadUnaligned(fromByteOffset: i % Self.plaintextMarker.count, as: UInt64.self)
                }
            case 5: word = random.next()
            default: word = UInt64(i / 8) &+ seed
            }
            base.storeBytes(of: word, toByteOffset: offset + i, as: UInt64.self)
        }
    }

    /// Copies `bytes` over the guest memory at `entry`, turning the words `pointerMask` selects
    /// into arena addresses.
    func writeEntry(_ entry: UnsafeMutableRawPointer, bytes: [UInt8], pointerMask: UInt8) {
        bytes.withUnsafeBytes { raw in
            if let source = raw.baseAddress { entry.copyMemory(from: source, byteCount: raw.count) }
        }
        for word in 0..<(bytes.count / 8) where pointerMask & (1 << UInt8(word)) != 0 {
            let raw = entry.loadUnaligned(fromByteOffset: word * 8, as: UInt64.self)
            entry.storeBytes(of: arenaAddress(raw).littleEndian, toByteOffset: word * 8, as: UInt64.self)
        }
    }
}

extension Collection where Element == UInt8 {
    /// Whether `needle` (non-empty) occurs as a contiguous run (secret and plaintext scans).
    func containsRun(_ needle: [UInt8]) -> Bool {
        guard !needle.isEmpty else { return false }
        if let found = withContiguousStorageIfAvailable({ UnsafeRawBufferPointer($0).containsRun(needle) }) {
            return found
        }
        return Array(self).containsRun(needle)
    }
}

extension UnsafeRawBufferPointer {
    /// Whether `needle` (non-empty) occurs in these bytes: `memchr` finds candidates for the
    /// first byte, `memcmp` checks them (the stores and arenas the secret checks scan are
    /// hundreds of KiB per input).
    func containsRun(_ needle: [UInt8]) -> Bool {
        guard let base = baseAddress, let first = needle.first, needle.count <= count else { return false }
        return needle.withUnsafeBytes { n in
            guard let p = n.baseAddress else { return false }
            let last = count - n.count
            var at = 0
            while at <= last {
                guard let hit = memchr(base + at, Int32(first), last - at + 1) else { return false }
                let i = base.distance(to: UnsafeRawPointer(hit))
                if memcmp(base + i, p, n.count) == 0 { return true }
                at = i + 1
            }
            return false
        }
    }
}
