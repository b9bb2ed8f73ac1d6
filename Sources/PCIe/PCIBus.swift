import RegisterModel

/// An MMIO access no BAR decodes.
public struct UnmappedAccess: Sendable, Equatable {
    /// The address.
    public let address: BusAddress
    /// Bytes.
    public let width: AccessWidth
    /// Whether it was a write.
    public let isWrite: Bool
}

/// The root complex and bus 0..255: functions by routing id, MMIO routing, resets, SR-IOV.
///
/// Config accesses are routed by ``BDF``; MMIO by address through an ``IntervalMap`` of decoded
/// BAR windows that rejects overlaps. Every guest-visible error becomes a recorded
/// ``GuestError`` and the bus keeps working.
public final class PCIBus {
    /// Services shared by every function.
    public let services: PlatformServices
    @exclusivity(unchecked) private var slots = RoutingTable()
    @exclusivity(unchecked) private var mmio = IntervalMap<MMIOTarget>()
    /// MMIO accesses that hit no window (bounded; see `unmappedTotal`).
    public var unmappedAccesses: [UnmappedAccess] { unmappedLog.elements }
    private var unmappedLog = BoundedLog<UnmappedAccess>(capacity: 1024)
    /// Unmapped accesses ever seen.
    public private(set) var unmappedTotal = 0

    /// A decoded window's owner. The function is held unretained: a window leaves the map
    /// whenever its function leaves the routing table (which owns it), and a function removed
    /// while an MMIO access is in progress is kept alive until the access returns
    /// (`retiredDuringAccess`), so routing an access costs no reference counting.
    struct MMIOTarget {
        let routingID: UInt16
        let bar: BARIndex
        let function: Unmanaged<PCIFunction>
    }

    /// The window an MMIO access last reached, kept by a caller that makes many accesses to the
    /// same BAR (``BusDeviceAccess``) so that they skip the search of the window map. It is used
    /// only while the map is unchanged (any decode, BAR or VF change moves its generation) and
    /// for addresses inside the window, so routing gives the same answer with or without it.
    public struct MMIORouteMemo {
        var generation: UInt64
        var start: UInt64
        var last: UInt64
        var target: MMIOTarget?

        /// A memo that matches no access.
        public init() {
            self.init(generation: .max, start: 1, last: 0, target: nil)
        }

        init(generation: UInt64, start: UInt64, last: UInt64, target: MMIOTarget?) {
            self.generation = generation
            self.start = start
            self.last = last
            self.target = target
        }
    }

    /// MMIO accesses in progress (nested when a model's work reaches another function).
    @exclusivity(unchecked) private var accessDepth = 0
    /// When set, every routed guest access is recorded here (see ``GuestAccessLog``).
    @exclusivity(unchecked) public var accessLog: GuestAccessLog?
    /// Functions removed from the bus while an access was in progress, released after it.
    @exclusivity(unchecked) private var retiredDuringAccess: [PCIFunction] = []

    /// An empty bus with fresh services.
    public init(memory: GuestMemory = GuestMemory(), clock: VirtualClock = VirtualClock()) {
        services = PlatformServices(memory: memory, clock: clock, faults: DMAFaultLog(), guestErrors: GuestErrorLog())
    }

    /// Errors attaching functions (bench configuration mistakes).
    public enum Error: Swift.Error, Equatable, CustomStringConvertible {
        /// Something already sits at that address.
        case occupied(BDF)
        public var description: String {
            switch self {
            case .occupied(let b): "\(b) is already occupied"
            }
        }
    }

    /// Plugs a function in at its ``PCIFunction/bdf``.
    public func attach(_ function: PCIFunction) throws(Error) {
        let rid = Int(function.bdf.routingID)
        guard slots[rid: rid] == nil else { throw .occupied(function.bdf) }
        slots[rid: rid] = function
        remap(function)
    }

    /// The function at `bdf`, if any.
    public func function(at bdf: BDF) -> PCIFunction? { slots[rid: Int(bdf.routingID)] }

    /// Every function present, PFs and VFs, in routing-id order.
    public var functions: [PCIFunction] { slots.functions }

    // MARK: Config space

    /// A config read; an empty slot reads all ones (master abort), as on real hardware.
    public func configRead(_ bdf: BDF, _ offset: ConfigOffset, width: AccessWidth) -> UInt32 {
        guard let f = slots[rid: Int(bdf.routingID)] else { return UInt32(truncatingIfNeeded: width.allOnes) }
        if let log = accessLog { log.record(.configRead(bdf, offset: UInt16(truncatingIfNeeded: offset.value), width: width), f) }
        return f.guestConfigRead(offset, width: width)
    }

    /// A config write; writes to an empty slot are dropped.
    public func configWrite(_ bdf: BDF, _ offset: ConfigOffset, width: AccessWidth, value: UInt32) {
        guard let f = slots[rid: Int(bdf.routingID)] else { return }
        if let log = accessLog {
            log.record(.configWrite(bdf, offset: UInt16(truncatingIfNeeded: offset.value), width: width, value: value), f)
        }
        let effects = f.guestConfigWrite(offset, width: width, value: value)
        if effects.contains(.functionLevelReset) {
            functionLevelReset(f)
            return
        }
        if effects.contains(.virtualFunctionsChanged) { updateVirtualFunctions(of: f) }
        if effects.contains(.decodeChanged) { remap(f) }
        if effects.contains(.virtualFunctionDecodeChanged) {
            for vf in f.virtualFunctions { remap(vf) }
        }
    }

    // MARK: MMIO

    /// A guest MMIO read. Unmapped, misaligned or window-straddling reads return all ones and
    /// are recorded.
    @inline(__always)
    public func mmioRead(_ address: BusAddress, width: AccessWidth) -> UInt64 {
        var memo = MMIORouteMemo()
        return mmioRead(address, width: width, memo: &memo)
    }

    /// A guest MMIO write. Unmapped or misaligned writes are dropped and recorded.
    @inline(__always)
    public func mmioWrite(_ address: BusAddress, width: AccessWidth, value: UInt64) {
        var memo = MMIORouteMemo()
        mmioWrite(address, width: width, value: value, memo: &memo)
    }

    /// ``mmioRead(_:width:)`` for a caller that keeps a ``MMIORouteMemo`` of its last access.
    @inline(__always)
    public func mmioRead(_ address: BusAddress, width: AccessWidth, memo: inout MMIORouteMemo) -> UInt64 {
        guard let (f, bar, offset) = route(address, width, memo: &memo) else {
            recordBadMMIO(address, width, isWrite: false)
            return width.allOnes
        }
        if let log = accessLog {
            f._withUnsafeGuaranteedRef { log.record(.mmioRead($0.bdf, bar: bar, offset: offset, width: width), $0) }
        }
        beginAccess()
        defer { endAccess() }
        return f._withUnsafeGuaranteedRef { $0.barRead(bar, offset: offset, width: width) }
    }

    /// ``mmioWrite(_:width:value:)`` for a caller that keeps a ``MMIORouteMemo`` of its last access.
    @inline(__always)
    public func mmioWrite(_ address: BusAddress, width: AccessWidth, value: UInt64, memo: inout MMIORouteMemo) {
        guard let (f, bar, offset) = route(address, width, memo: &memo) else {
            recordBadMMIO(address, width, isWrite: true)
            return
        }
        if let log = accessLog {
            f._withUnsafeGuaranteedRef {
                log.record(.mmioWrite($0.bdf, bar: bar, offset: offset, width: width, value: value), $0)
            }
        }
        beginAccess()
        defer { endAccess() }
        f._withUnsafeGuaranteedRef { $0.barWrite(bar, offset: offset, width: width, value: value) }
    }

    /// A write-combined burst of `bytes` from `address`: routed once when it lies inside one
    /// BAR, otherwise (or when it reaches a function's MSI-X table or PBA) delivered as the
    /// naturally aligned writes it is made of, each routed, and refused, on its own.
    public func mmioWriteCombined(_ address: BusAddress, bytes: UnsafeRawBufferPointer) {
        var memo = MMIORouteMemo()
        mmioWriteCombined(address, bytes: bytes, memo: &memo)
    }

    /// ``mmioWriteCombined(_:bytes:)`` for a caller that keeps a ``MMIORouteMemo`` of its last access.
    public func mmioWriteCombined(_ address: BusAddress, bytes: UnsafeRawBufferPointer, memo: inout MMIORouteMemo) {
        guard !bytes.isEmpty else { return }
        let a = address.value
        if let target = window(containing: a, memo: &memo), UInt64(bytes.count) - 1 <= memo.last - a {
            if let log = accessLog {
                let start = memo.start
                target.function._withUnsafeGuaranteedRef { f in
                    forEachNaturallyAlignedWrite(of: bytes, at: a - start) {
                        log.record(.mmioWrite(f.bdf, bar: target.bar, offset: $0, width: $1, value: $2), f)
                    }
                }
            }
            beginAccess()
            defer { endAccess() }
            target.function._withUnsafeGuaranteedRef { $0.barWriteCombined(target.bar, offset: a - memo.start, bytes: bytes) }
            return
        }
        forEachNaturallyAlignedWrite(of: bytes, at: a) { mmioWrite(BusAddress($0), width: $1, value: $2, memo: &memo) }
    }

    /// The window that contains `a`, if any: from `memo` when the map has not changed since it
    /// was taken and `a` lies in it, otherwise from the map, and `memo` then holds it.
    @inline(__always)
    private func window(containing a: UInt64, memo: inout MMIORouteMemo) -> MMIOTarget? {
        if memo.generation != mmio.generation || a &- memo.start > memo.last &- memo.start {
            guard let e = mmio.lookup(a) else { return nil }
            memo = MMIORouteMemo(generation: mmio.generation, start: e.start, last: e.last, target: e.value)
        }
        return memo.target
    }

    /// The function, BAR and offset a naturally aligned access lies in entirely, if any (the
    /// window through `memo`, as ``window(containing:memo:)`` finds it).
    @inline(__always)
    private func route(
        _ address: BusAddress, _ width: AccessWidth, memo: inout MMIORouteMemo
    ) -> (Unmanaged<PCIFunction>, BARIndex, UInt64)? {
        let a = address.value
        guard let target = window(containing: a, memo: &memo), a & UInt64(width.rawValue - 1) == 0,
            a - memo.start + UInt64(width.rawValue) - 1 <= memo.last - memo.start
        else { return nil }
        return (target.function, target.bar, a - memo.start)
    }

    @inline(__always) private func beginAccess() { accessDepth &+= 1 }

    @inline(__always) private func endAccess() {
        accessDepth &-= 1
        if accessDepth == 0, !retiredDuringAccess.isEmpty { retiredDuringAccess.removeAll() }
    }

    private func recordBadMMIO(_ address: BusAddress, _ width: AccessWidth, isWrite: Bool) {
        let mapped = mmio.lookup(address.value)
        let function = mapped.map { BDF(routingID: $0.value.routingID) }
        let kind: GuestErrorKind = mapped == nil ? .unmappedMMIO : .badMMIOAccess
        if mapped == nil {
            unmappedTotal += 1
            unmappedLog.append(UnmappedAccess(address: address, width: width, isWrite: isWrite))
        }
        services.guestErrors.record(
            GuestError(
                function: function, kind: kind,
                detail: "\(isWrite ? "write" : "read") of \(width.rawValue) bytes at \(address)", time: services.clock.now))
    }

    /// The windows currently decoded, for inspection: (function, BAR, first, last address).
    public var windows: [(function: BDF, bar: BARIndex, start: UInt64, last: UInt64)] {
        mmio.entries.map { (BDF(routingID: $0.value.routingID), $0.value.bar, $0.start, $0.last) }
    }

    /// Re-inserts a function's windows after its decode changed. A window overlapping another
    /// function's is not decoded and is recorded as a guest error.
    func remap(_ f: PCIFunction) {
        let rid = f.bdf.routingID
        let windows = f.decodedWindows
        // Nothing decoded before or after (firmware sizing BARs with decode off, a write to a
        // BAR of a function that does not decode): the map stays as it is, and so does its
        // generation, which keeps the callers' route memos.
        if windows.isEmpty, !mmio.entries.contains(where: { $0.value.routingID == rid }) { return }
        mmio.removeAll { $0.routingID == rid }
        for w in windows {
            let target = MMIOTarget(routingID: rid, bar: w.bar, function: Unmanaged.passUnretained(f))
            if let clash = mmio.insert(w.start, w.start + (w.size - 1), target) {
                f.recordGuestError(
                    .barOverlap,
                    "\(w.bar) at 0x\(String(w.start, radix: 16)) size 0x\(String(w.size, radix: 16)) overlaps "
                        + "\(BDF(routingID: clash.value.routingID)) \(clash.value.bar); not decoded")
            }
        }
    }

    // MARK: SR-IOV

    private func updateVirtualFunctions(of pf: PCIFunction) {
        for vf in pf.virtualFunctions {
            mmio.removeAll { $0.routingID == vf.bdf.routingID }
            slots[rid: Int(vf.bdf.routingID)] = nil
            if accessDepth > 0 { retiredDuringAccess.append(vf) }
        }
        pf.virtualFunctions = []
        guard pf.vfEnabled, let model = pf.model else {
            pf.model?.virtualFunctionsChanged(count: 0)
            return
        }
        for index in 0..<pf.numVFs {
            guard let rid = pf.virtualFunctionRoutingID(index), slots[rid: Int(rid.routingID)] == nil else {
                pf.recordGuestError(.badSRIOVProgramming, "VF \(index) has no free routing id; not created")
                continue
            }
            guard let vf = model.makeVirtualFunction(index: index, services: services) else { continue }
            vf.bdf = rid
            vf.dma.function = rid
            vf.msix?.source = rid
            vf.msi?.source = rid
            vf.physicalFunction = pf
            vf.virtualFunctionIndex = index
            slots[rid: Int(rid.routingID)] = vf
            pf.virtualFunctions.append(vf)
            remap(vf)
        }
        model.virtualFunctionsChanged(count: pf.virtualFunctions.count)
    }

    // MARK: Reset

    /// Function Level Reset of one function (PCIe Base §6.6.2). A PF's VFs go away with VF Enable.
    public func functionLevelReset(_ f: PCIFunction) {
        let hadVFs = !f.virtualFunctions.isEmpty
        f.reset(.functionLevel)
        if hadVFs { updateVirtualFunctions(of: f) }
        remap(f)
    }

    /// Conventional reset of every function; VFs disappear, BARs and decode return to reset.
    public func reset() {
        for f in functions where !f.isVirtualFunction {
            let hadVFs = !f.virtualFunctions.isEmpty
            f.reset(.bus)
            if hadVFs { updateVirtualFunctions(of: f) }
            remap(f)
        }
    }
}
