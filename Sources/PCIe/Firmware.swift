import RegisterModel

/// Where firmware places BARs.
public struct ResourceWindows: Sendable, Equatable {
    /// Window for 32-bit and non-prefetchable BARs (below 4 GiB).
    public var low: ClosedRange<UInt64>
    /// Window for 64-bit prefetchable BARs (above 4 GiB).
    public var high: ClosedRange<UInt64>

    /// The usual x86 layout: 0xe0000000...0xfebfffff and 512 GiB upwards.
    public static let standard = ResourceWindows(
        low: 0xe000_0000...0xfebf_ffff, high: 0x80_0000_0000...0xff_ffff_ffff)

    /// Creates windows.
    public init(low: ClosedRange<UInt64>, high: ClosedRange<UInt64>) {
        self.low = low
        self.high = high
    }
}

/// What enumeration found and where firmware put it.
public struct EnumerationReport: Sendable, Equatable {
    /// A sized and placed BAR (or VF BAR, covering every VF).
    public struct Placement: Sendable, Equatable {
        /// The function.
        public let function: BDF
        /// BAR index (in the SR-IOV capability if `isVFBAR`).
        public let bar: Int
        /// Whether this is an SR-IOV VF BAR.
        public let isVFBAR: Bool
        /// Size found by sizing (for a VF BAR: per VF).
        public let size: UInt64
        /// Assigned base.
        public let base: UInt64
    }

    /// Functions found by the config scan, in order.
    public var functions: [BDF] = []
    /// Every BAR placed.
    public var placements: [Placement] = []
    /// BARs that did not fit their window.
    public var unplaced: [String] = []
}

/// Enumeration and resource assignment the way platform firmware does it: only through config
/// space, scanning bus 0, sizing BARs by writing all ones and reading back the mask, placing them
/// naturally aligned, largest first, then enabling memory decode.
public struct Firmware {
    private let bus: PCIBus
    /// Firmware for `bus`.
    public init(bus: PCIBus) { self.bus = bus }

    /// Scans bus 0: function 0 of every device, functions 1...7 when the Multi-Function bit is set.
    public func scan() -> [BDF] {
        var found: [BDF] = []
        for device in UInt8(0)..<32 {
            let f0 = BDF(bus: 0, device: device, function: 0)
            guard bus.configRead(f0, ConfigOffset(PCIType0Header.VendorID.offset), width: .word) != 0xffff else { continue }
            found.append(f0)
            let header = bus.configRead(f0, ConfigOffset(PCIType0Header.HeaderType.offset), width: .byte)
            guard header & 0x80 != 0 else { continue }
            for fn in UInt8(1)..<8 {
                let b = BDF(bus: 0, device: device, function: fn)
                if bus.configRead(b, ConfigOffset(PCIType0Header.VendorID.offset), width: .word) != 0xffff { found.append(b) }
            }
        }
        return found
    }

    private struct Request {
        let function: BDF
        let bar: Int
        let register: ConfigOffset
        let is64: Bool
        let prefetchable: Bool
        let isVFBAR: Bool
        let unit: UInt64
        let total: UInt64
    }

    /// Scans, sizes and places every BAR and SR-IOV VF BAR, then sets Memory Space Enable.
    @discardableResult
    public func enumerateAndAssign(_ windows: ResourceWindows = .standard) -> EnumerationReport {
        var report = EnumerationReport()
        report.functions = scan()
        var requests: [Request] = []
        for f in report.functions {
            // Decode is off while a BAR holds all ones, as Linux's BAR sizing does it: the probe
            // must not map the BAR at the top of the address space for a moment (over whatever
            // is there), and the bus then has no windows to move.
            let command = ConfigOffset(PCIType0Header.Command.offset)
            let memorySpace = UInt32(truncatingIfNeeded: PCIType0Header.Command.memorySpaceEnable.mask)
            withBitCleared(f, command, memorySpace) {
                requests += size(f, base: ConfigOffset(PCIType0Header.BAR.offset), isVF: false, multiplier: 1)
            }
            if let fn = bus.function(at: f), let at = fn.capabilities.sriov {
                let total = UInt64(bus.configRead(f, at.advanced(by: SRIOVCapability.TotalVFs.offset), width: .word))
                let vfMemorySpace = UInt32(truncatingIfNeeded: SRIOVCapability.SRIOVControl.vfmse.mask)
                withBitCleared(f, at.advanced(by: SRIOVCapability.SRIOVControl.offset), vfMemorySpace) {
                    requests += size(
                        f, base: at.advanced(by: SRIOVCapability.VFBAR.offset), isVF: true, multiplier: max(total, 1))
                }
            }
        }
        var nextLow = windows.low.lowerBound
        var nextHigh = windows.high.lowerBound
        for r in requests.sorted(by: { ($0.total, $1.function) > ($1.total, $0.function) }) {
            let high = r.is64 && r.prefetchable
            let cursor = high ? nextHigh : nextLow
            let window = high ? windows.high : windows.low
            let base = (cursor + (r.unit - 1)) & ~(r.unit - 1)
            guard base >= cursor, base <= window.upperBound, window.upperBound - base >= r.total - 1 else {
                report.unplaced.append("\(r.function) \(r.isVFBAR ? "VF " : "")BAR\(r.bar) size 0x\(String(r.total, radix: 16))")
                continue
            }
            bus.configWrite(r.function, r.register, width: .dword, value: UInt32(truncatingIfNeeded: base))
            if r.is64 {
                bus.configWrite(
                    r.function, r.register.advanced(by: 4), width: .dword, value: UInt32(truncatingIfNeeded: base >> 32))
            }
            if high { nextHigh = base + r.total } else { nextLow = base + r.total }
            report.placements.append(.init(function: r.function, bar: r.bar, isVFBAR: r.isVFBAR, size: r.unit, base: base))
        }
        for f in report.functions {
            let cmd = ConfigOffset(PCIType0Header.Command.offset)
            let value = bus.configRead(f, cmd, width: .word)
            bus.configWrite(
                f, cmd, width: .word,
                value: value | UInt32(truncatingIfNeeded: PCIType0Header.Command.memorySpaceEnable.mask))
        }
        return report
    }

    /// Runs `body` with `bit` of the 16-bit register at `offset` clear, then puts the register back
    /// (no write at all when the bit was clear already).
    private func withBitCleared(_ f: BDF, _ offset: ConfigOffset, _ bit: UInt32, _ body: () -> Void) {
        let original = bus.configRead(f, offset, width: .word)
        guard original & bit != 0 else { return body() }
        bus.configWrite(f, offset, width: .word, value: original & ~bit)
        body()
        bus.configWrite(f, offset, width: .word, value: original)
    }

    /// Sizes six BAR registers at `base` through config space, restoring their contents.
    private func size(_ f: BDF, base: ConfigOffset, isVF: Bool, multiplier: UInt64) -> [Request] {
        var out: [Request] = []
        var i = 0
        while i < 6 {
            let reg = base.advanced(by: 4 * i)
            let original = bus.configRead(f, reg, width: .dword)
            bus.configWrite(f, reg, width: .dword, value: 0xffff_ffff)
            let probe = bus.configRead(f, reg, width: .dword)
            bus.configWrite(f, reg, width: .dword, value: original)
            let isIO = probe & 1 == 1
            let is64 = !isIO && (probe >> 1) & 3 == 2
            var mask = UInt64(probe & (isIO ? ~3 : ~0xf))
            if is64, i < 5 {
                let upper = reg.advanced(by: 4)
                let originalHigh = bus.configRead(f, upper, width: .dword)
                bus.configWrite(f, upper, width: .dword, value: 0xffff_ffff)
                mask |= UInt64(bus.configRead(f, upper, width: .dword)) << 32
                bus.configWrite(f, upper, width: .dword, value: originalHigh)
            } else if mask != 0 {
                mask |= 0xffff_ffff_0000_0000
            }
            if mask != 0, !isIO {
                let unit = ~mask &+ 1
                let (total, overflow) = unit.multipliedReportingOverflow(by: multiplier)
                if !overflow {
                    out.append(
                        Request(
                            function: f, bar: i, register: reg, is64: is64, prefetchable: probe & 8 != 0,
                            isVFBAR: isVF, unit: unit, total: total))
                }
            }
            i += is64 ? 2 : 1
        }
        return out
    }
}
