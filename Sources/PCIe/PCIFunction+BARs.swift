import RegisterModel

/// A BAR window a function decodes.
public struct DecodedWindow: Sendable, Equatable {
    /// Which BAR.
    public let bar: BARIndex
    /// First bus address.
    public let start: UInt64
    /// Size in bytes.
    public let size: UInt64
}

extension PCIFunction {
    /// The BAR definitions this function decodes (for a VF: the PF's VF BARs).
    public var barDefinitions: [BARDefinition?] {
        if isVirtualFunction, let pf = physicalFunction, let p = pf.configuration.sriov { return p.vfBARs }
        return configuration.bars
    }

    /// The address BAR `index` holds (unassigned BARs read 0).
    public func barAddress(_ index: Int) -> UInt64? {
        let defs = barDefinitions
        guard index >= 0, index < defs.count, let def = defs[index] else { return nil }
        if isVirtualFunction {
            guard let pf = physicalFunction, let base = pf.vfBARBase(index), let n = virtualFunctionIndex else { return nil }
            return base &+ UInt64(n) &* def.size
        }
        let reg = ConfigOffset(PCIType0Header.BAR.offset + PCIType0Header.BAR.stride * index)
        var base = UInt64(config.read32(reg) & (def.kind == .io ? ~3 : ~0xf))
        if def.kind == .memory64 { base |= UInt64(config.read32(reg.advanced(by: 4))) << 32 }
        return base
    }

    /// Memory windows the function decodes now: memory decode on, BAR assigned (non-zero).
    /// I/O BARs are not decoded (the platform has no port I/O space).
    public var decodedWindows: [DecodedWindow] {
        guard memoryDecodeEnabled else { return [] }
        if isVirtualFunction, physicalFunction?.vfEnabled != true { return [] }
        var out: [DecodedWindow] = []
        for (i, def) in barDefinitions.enumerated() {
            guard let def, def.kind != .io, let base = barAddress(i), base != 0, let index = BARIndex(i) else { continue }
            guard base <= UInt64.max - (def.size - 1) else { continue }
            out.append(DecodedWindow(bar: index, start: base, size: def.size))
        }
        return out
    }

    /// Whether `offset` of `bar` may lie in the MSI-X table or PBA (the controller decides).
    @inline(__always) private func mayBeMSIX(_ bar: BARIndex, _ offset: UInt64) -> Bool {
        msixBARs & (1 << bar.value) != 0 && offset >= msixSpan.lowerBound && offset < msixSpan.upperBound
    }

    /// A guest BAR read routed here by the bus; `offset` is inside the BAR and aligned.
    public func barRead(_ bar: BARIndex, offset: UInt64, width: AccessWidth) -> UInt64 {
        if mayBeMSIX(bar, offset), let msix, msix.claims(bar, offset) {
            guard width == .dword || width == .qword else {
                recordGuestError(.badMMIOAccess, "MSI-X \(width.rawValue)-byte read at \(bar)+0x\(String(offset, radix: 16))")
                return width.allOnes
            }
            return msix.read(bar, offset, width)
        }
        guard let value = unretainedModel?._withUnsafeGuaranteedRef({ $0.model.barRead(bar, offset: offset, width: width) })
        else {
            return width.allOnes
        }
        return value & width.allOnes
    }

    /// A guest BAR write routed here by the bus.
    public func barWrite(_ bar: BARIndex, offset: UInt64, width: AccessWidth, value: UInt64) {
        if mayBeMSIX(bar, offset), let msix, msix.claims(bar, offset) {
            guard width == .dword || width == .qword else {
                recordGuestError(.badMMIOAccess, "MSI-X \(width.rawValue)-byte write at \(bar)+0x\(String(offset, radix: 16))")
                return
            }
            msix.write(bar, offset, width, value)
            return
        }
        unretainedModel?._withUnsafeGuaranteedRef {
            $0.model.barWrite(bar, offset: offset, width: width, value: value & width.allOnes)
        }
    }

    /// A write-combined burst routed here by the bus (inside `bar`). Bytes that reach the MSI-X
    /// table or PBA make it the separate writes it is made of; otherwise the model gets it whole.
    public func barWriteCombined(_ bar: BARIndex, offset: UInt64, bytes: UnsafeRawBufferPointer) {
        guard unretainedModel != nil else { return }
        if msixBARs & (1 << bar.value) != 0, let msix, msix.overlaps(bar, offset, count: UInt64(bytes.count)) {
            forEachNaturallyAlignedWrite(of: bytes, at: offset) { barWrite(bar, offset: $0, width: $1, value: $2) }
            return
        }
        unretainedModel?._withUnsafeGuaranteedRef { $0.model.barWriteCombined(bar, offset: offset, bytes: bytes) }
    }

    /// The function as an inspector sees it.
    public func snapshot() -> FunctionSnapshot {
        var resources = [ResourceWindow](repeating: .none, count: 7)
        let defs = barDefinitions
        for i in 0..<min(6, defs.count) {
            guard let def = defs[i], let base = barAddress(i) else { continue }
            resources[i] =
                base == 0
                ? ResourceWindow(start: 0, end: def.size - 1, flags: def.resourceFlags)
                : ResourceWindow(start: base, end: base &+ (def.size - 1), flags: def.resourceFlags)
        }
        return FunctionSnapshot(
            bdf: bdf, config: config.guestVisibleBytes, resources: resources, isVirtualFunction: isVirtualFunction,
            physicalFunction: physicalFunction?.bdf, vendorID: vendorID, deviceID: deviceID)
    }
}
