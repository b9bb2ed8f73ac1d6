import PCIe
import RegisterModel

/// What a driver needs from config space, written only against ``DeviceAccess`` and the
/// generated register tables, the way an OS's PCI core does it.
extension DeviceAccess {
    /// Offset of the classic capability with `id`, walking from the Capabilities Pointer.
    /// Stops after 48 hops so a looping chain cannot hang the driver.
    public func findCapability(_ id: UInt16) -> ConfigOffset? {
        var at = Int(configRead(ConfigOffset(PCIType0Header.CapabilitiesPointer.offset), width: .byte)) & ~3
        var hops = 0
        while at >= 0x40, at < 0x100, hops < 48 {
            if UInt16(configRead(ConfigOffset(at), width: .byte)) == id { return ConfigOffset(at) }
            at = Int(configRead(ConfigOffset(at + 1), width: .byte)) & ~3
            hops += 1
        }
        return nil
    }

    /// Offset of the extended capability with `id`, walking from 0x100.
    public func findExtendedCapability(_ id: UInt16) -> ConfigOffset? {
        var at = 0x100
        var hops = 0
        while at >= 0x100, at < ConfigSpace.size, hops < 512 {
            let header = configRead(ConfigOffset(at), width: .dword)
            if header == 0 || header == 0xffff_ffff { return nil }
            if UInt16(truncatingIfNeeded: header) == id { return ConfigOffset(at) }
            at = Int(header >> 20) & ~3
            hops += 1
        }
        return nil
    }

    /// Sets bits in the Command register.
    public func setCommand(_ fields: [BitField]) {
        let at = ConfigOffset(PCIType0Header.Command.offset)
        var value = configRead(at, width: .word)
        for f in fields { value = f.insert(1, into: value) }
        configWrite(at, width: .word, value: value)
    }

    /// Enables memory decode and bus mastering.
    public func enableBusMaster() {
        setCommand([PCIType0Header.Command.memorySpaceEnable, PCIType0Header.Command.busMasterEnable])
    }

    /// Programs MSI-X vector `vector` (address, data, unmasked) and enables MSI-X.
    /// Returns false if the function has no MSI-X capability or the vector is out of range.
    @discardableResult
    public func enableMSIXVector(_ vector: Int, address: UInt64 = 0xfee0_0000, data: UInt32) -> Bool {
        guard let cap = findCapability(MSIXCapability.capabilityID) else { return false }
        typealias C = MSIXCapability
        let control = configRead(cap.advanced(by: C.MessageControl.offset), width: .word)
        let tableSize = Int(C.MessageControl.tableSize.extract(from: control)) + 1
        guard vector >= 0, vector < tableSize else { return false }
        let table = configRead(cap.advanced(by: C.TableOffsetBIR.offset), width: .dword)
        guard let bar = BARIndex(Int(C.TableOffsetBIR.bir.extract(from: table))) else { return false }
        let entry = UInt64(table & ~7) + UInt64(vector * MSIXController.entrySize)
        write32(bar, entry, UInt32(truncatingIfNeeded: address))
        write32(bar, entry + 4, UInt32(truncatingIfNeeded: address >> 32))
        write32(bar, entry + 8, data)
        write32(bar, entry + 12, 0)
        configWrite(
            cap.advanced(by: C.MessageControl.offset), width: .word,
            value: C.MessageControl.msixEnable.insert(1, into: C.MessageControl.functionMask.insert(0, into: control)))
        return true
    }

    /// Issues a Function Level Reset through the PCI Express capability and waits the 100 ms the
    /// spec requires. Returns false if the function cannot do FLR.
    @discardableResult
    public func functionLevelReset() -> Bool {
        guard let cap = findCapability(PCIExpressCapability.capabilityID) else { return false }
        typealias C = PCIExpressCapability
        let devcap = configRead(cap.advanced(by: C.DeviceCapabilities.offset), width: .dword)
        guard C.DeviceCapabilities.functionLevelResetCapability.isSet(in: devcap) else { return false }
        let at = cap.advanced(by: C.DeviceControl.offset)
        let control = configRead(at, width: .word)
        configWrite(at, width: .word, value: C.DeviceControl.initiateFunctionLevelReset.insert(1, into: control))
        sleep(.milliseconds(100))
        return true
    }
}

/// Why SR-IOV could not be enabled.
public enum SRIOVEnableError: Error, Equatable, CustomStringConvertible {
    /// The function has no SR-IOV capability.
    case notCapable
    /// More VFs requested than TotalVFs.
    case tooMany(requested: Int, total: Int)
    /// VF Enable did not stick (the device refused the programming).
    case refused
    public var description: String {
        switch self {
        case .notCapable: "no SR-IOV capability"
        case .tooMany(let r, let t): "\(r) VFs requested, TotalVFs is \(t)"
        case .refused: "VF Enable did not stick"
        }
    }
}

extension DeviceAccess {
    /// Enables `count` VFs the way Linux's `sriov_numvfs` does: ARI hierarchy, NumVFs, VF Enable
    /// and VF MSE, then waits 100 ms. VF BARs must already be assigned (firmware does that).
    /// Returns the routing ids the VFs appear at.
    public func enableVirtualFunctions(_ count: Int, ariCapableHierarchy: Bool = true) throws(SRIOVEnableError) -> [BDF] {
        guard let cap = findExtendedCapability(SRIOVCapability.capabilityID) else { throw .notCapable }
        typealias C = SRIOVCapability
        let total = Int(configRead(cap.advanced(by: C.TotalVFs.offset), width: .word))
        guard count >= 0, count <= total else { throw .tooMany(requested: count, total: total) }
        let control = cap.advanced(by: C.SRIOVControl.offset)
        configWrite(control, width: .word, value: 0)
        guard count > 0 else { return [] }
        configWrite(
            control, width: .word,
            value: ariCapableHierarchy ? UInt32(truncatingIfNeeded: C.SRIOVControl.ariCapableHierarchy.mask) : 0)
        configWrite(cap.advanced(by: C.NumVFs.offset), width: .word, value: UInt32(count))
        var value = configRead(control, width: .word)
        value = C.SRIOVControl.vfEnable.insert(1, into: C.SRIOVControl.vfmse.insert(1, into: value))
        configWrite(control, width: .word, value: value)
        sleep(.milliseconds(100))
        guard C.SRIOVControl.vfEnable.isSet(in: configRead(control, width: .word)) else { throw .refused }
        let offset = Int(configRead(cap.advanced(by: C.FirstVFOffset.offset), width: .word))
        let stride = Int(configRead(cap.advanced(by: C.VFStride.offset), width: .word))
        return (0..<count).compactMap { n in
            let rid = Int(bdf.routingID) + offset + n * stride
            return rid <= 0xffff ? BDF(routingID: UInt16(rid)) : nil
        }
    }
}
