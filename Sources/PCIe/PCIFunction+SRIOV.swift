import RegisterModel

extension PCIFunction {
    private typealias C = SRIOVCapability

    private func sriovRead16(_ register: Int) -> UInt16 {
        guard let at = capabilities.sriov else { return 0 }
        return config.read16(at.advanced(by: register))
    }

    /// SR-IOV Control.VFEnable.
    public var vfEnabled: Bool { C.SRIOVControl.vfEnable.isSet(in: sriovRead16(C.SRIOVControl.offset)) }
    /// SR-IOV Control.VFMSE (memory space enable for all VFs).
    public var vfMemoryDecodeEnabled: Bool { C.SRIOVControl.vfmse.isSet(in: sriovRead16(C.SRIOVControl.offset)) }
    /// SR-IOV NumVFs.
    public var numVFs: Int { Int(sriovRead16(C.NumVFs.offset)) }
    /// SR-IOV TotalVFs.
    public var totalVFs: Int { Int(sriovRead16(C.TotalVFs.offset)) }

    /// Routing id of VF `index` as First VF Offset and VF Stride give it, or nil past 0xffff.
    public func virtualFunctionRoutingID(_ index: Int) -> BDF? {
        let rid = Int(bdf.routingID) + Int(sriovRead16(C.FirstVFOffset.offset)) + index * Int(sriovRead16(C.VFStride.offset))
        guard capabilities.sriov != nil, index >= 0, rid <= 0xffff else { return nil }
        return BDF(routingID: UInt16(rid))
    }

    /// Base address programmed in VF BAR `bar` (64-bit BARs combine two registers); nil if absent.
    func vfBARBase(_ bar: Int) -> UInt64? {
        guard let at = capabilities.sriov, let p = configuration.sriov, bar < p.vfBARs.count, let def = p.vfBARs[bar]
        else { return nil }
        let reg = at.advanced(by: C.VFBAR.offset + 4 * bar)
        var base = UInt64(config.read32(reg) & (def.kind == .io ? ~3 : ~0xf))
        if def.kind == .memory64 { base |= UInt64(config.read32(reg.advanced(by: 4))) << 32 }
        return base
    }

    /// Applies SR-IOV rules after a write into the capability.
    func sriovWritten(_ at: ConfigOffset, _ touched: Range<Int>, _ before: SideEffectState) -> ConfigWriteEffects {
        var effects = ConfigWriteEffects()
        let controlAt = at.advanced(by: C.SRIOVControl.offset)
        let numVFsAt = at.advanced(by: C.NumVFs.offset)
        let wasEnabled = C.SRIOVControl.vfEnable.isSet(in: before.sriovControl)
        var control = config.read16(controlAt)

        // NumVFs and ARI Capable Hierarchy may change only while VF Enable is clear (SR-IOV §3.3.3.5, §3.3.7).
        if wasEnabled, config.read16(numVFsAt) != before.numVFs {
            config.set(numVFsAt, width: .word, value: UInt64(before.numVFs))
            recordGuestError(.badSRIOVProgramming, "NumVFs written while VF Enable is set; ignored")
        }
        let ari = C.SRIOVControl.ariCapableHierarchy
        if wasEnabled, ari.isSet(in: control) != ari.isSet(in: before.sriovControl) {
            control = ari.insert(ari.extract(from: before.sriovControl), into: control)
            config.set(controlAt, width: .word, value: UInt64(control))
            recordGuestError(.badSRIOVProgramming, "ARI Capable Hierarchy changed while VF Enable is set; ignored")
        }
        if let p = configuration.sriov, ari.isSet(in: control) != ari.isSet(in: before.sriovControl) {
            let useARI = ari.isSet(in: control)
            config.set(
                at.advanced(by: C.FirstVFOffset.offset), width: .word,
                value: UInt64(useARI ? p.firstVFOffset : p.firstVFOffsetWithoutARI))
            config.set(
                at.advanced(by: C.VFStride.offset), width: .word, value: UInt64(useARI ? p.vfStride : p.vfStrideWithoutARI))
        }
        let nowEnabled = C.SRIOVControl.vfEnable.isSet(in: control)
        if nowEnabled, !wasEnabled {
            let n = numVFs
            if n > totalVFs || n == 0 {
                control = C.SRIOVControl.vfEnable.insert(0, into: control)
                config.set(controlAt, width: .word, value: UInt64(control))
                recordGuestError(.badSRIOVProgramming, "VF Enable with NumVFs \(n) (TotalVFs \(totalVFs)); VF Enable left clear")
            }
        }
        if C.SRIOVControl.vfEnable.isSet(in: control) != wasEnabled { effects.insert(.virtualFunctionsChanged) }
        let mse = C.SRIOVControl.vfmse
        let vfBARs = at.value + C.VFBAR.offset..<(at.value + C.VFBAR.offset + C.VFBAR.stride * C.VFBAR.count)
        if mse.isSet(in: control) != mse.isSet(in: before.sriovControl) || touched.overlaps(vfBARs) {
            effects.insert(.virtualFunctionDecodeChanged)
        }
        return effects
    }
}
