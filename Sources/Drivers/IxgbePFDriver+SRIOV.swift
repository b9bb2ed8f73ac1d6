import Intel82599
import Network
import PCIe
import RegisterModel

extension IxgbePFDriver {
    /// The PF's pool with SR-IOV: the first pool after the VFs' (ixgbe's `VMDQ_P(0)`).
    public var pfPool: Int { vfCount }

    /// Receive-address index of VF `vf`'s assigned MAC (entry 0 is the PF's).
    func receiveAddressIndex(ofVF vf: Int) -> Int { 1 + vf }

    /// Enables `vfCount` VFs in 64-pool mode (ixgbe's `ixgbe_configure_virtualization`):
    /// GCR_EXT.VT_Mode 64 pools; PFVTCTL with VT enabled, replication on and the PF's pool
    /// (`vfCount`) as default; MTQC/MRQC in VMDq-64 modes; receive and transmit enabled for the
    /// PF's pool; VMOLR AUPE|BAM|ROMPE for the PF's pool, AUPE|BAM for the VFs' (no AUPE under a
    /// port VLAN; ROMPE once a VF registers multicast addresses); VEB loopback
    /// (PFDTXGSWC.VT_LBEN); MAC anti-spoofing per the policy; receive address 0 moved to the PF's
    /// pool and one receive address + MPSAR bit per VF with its assigned MAC; port VLANs (VMVIR,
    /// VLVF); all mailbox interrupts unmasked. Then the SR-IOV capability gets NumVFs and VF
    /// Enable, and CTRL_EXT.PFRSTD tells the VFs the PF is ready.
    ///
    /// Call after ``reset()`` and before ``initialize(rxQueues:txQueues:ringSize:bufferCount:)``.
    @discardableResult
    public func enableSRIOV(vfCount count: Int, policy: IxgbeVFPolicy) throws(IxgbeDriverError) -> [BDF] {
        guard vfCount == 0 else { throw .sriovOrderViolation("SR-IOV is already enabled") }
        guard rxRings.isEmpty, txRings.isEmpty else {
            throw .sriovOrderViolation("the PF's queues were set up before SR-IOV; reset and enable SR-IOV first")
        }
        guard count >= 1, count < Intel82599PFRegisters.PFMAILBOX.count else {
            throw .invalidConfiguration("VF count \(count) must be 1...63 (the PF needs one of the 64 pools)")
        }
        for vf in 0..<count {
            if let mac = policy[vf].macAddress, !mac.isUnicast || mac.value == 0 {
                throw .invalidConfiguration("VF \(vf): \(mac) is not a unicast address")
            }
            if let vid = policy[vf].defaultVLAN, vid == 0 || vid > 4094 {
                throw .invalidConfiguration("VF \(vf): port VLAN \(vid) is not in 1...4094")
            }
        }
        let macs = (0..<count).compactMap { policy[$0].macAddress } + [macAddress]
        guard Set(macs).count == macs.count else { throw .invalidConfiguration("MAC addresses are not unique") }
        self.policy = policy
        vfCount = count
        vfs = (0..<count).map { vf in
            var s = IxgbeVFMailboxState()
            s.macAddress = policy[vf].macAddress
            s.windowStart = access.clock.now
            return s
        }
        configureVirtualization()
        for vf in 0..<count { configurePool(ofVF: vf) }
        for n in 0..<R.PFMBIMR.count {
            let first = n * 16
            let bits = first >= count ? 0 : (count - first >= 16 ? 0xFFFF : (1 << (count - first)) - 1)
            write(R.PFMBIMR.offset(n), UInt32(bits))
        }
        let addresses: [BDF]
        do {
            addresses = try access.enableVirtualFunctions(count)
        } catch {
            vfCount = 0
            vfs = []
            throw .sriov(error)
        }
        vfAddresses = addresses
        setBits(R.RXCTRL.offset, R.RXCTRL.rxen.mask)
        setBits(R.DMATXCTL.offset, R.DMATXCTL.te.mask)
        setBits(R.CTRL_EXT.offset, R.CTRL_EXT.pfResetDone.mask)
        return addresses
    }

    /// Port-wide virtualization registers.
    private func configureVirtualization() {
        write(
            R.GCR_EXT.offset, UInt32(truncatingIfNeeded: R.GCR_EXT.vtMode.insert(R.GCR_EXT.VTModeValue.pools64, into: UInt64(0))))
        var vtctl: UInt64 = 0
        vtctl = R.PFVTCTL.vtEnable.insert(1, into: vtctl)
        vtctl = R.PFVTCTL.defaultPool.insert(UInt64(pfPool), into: vtctl)
        vtctl = R.PFVTCTL.replicationEnable.insert(1, into: vtctl)
        write(R.PFVTCTL.offset, UInt32(truncatingIfNeeded: vtctl))
        // Transmit queue mode may only change with the arbiter off (datasheet §8.2.3.9.15).
        setBits(R.RTTDCS.offset, R.RTTDCS.arbdis.mask)
        var mtqc: UInt64 = 0
        mtqc = R.MTQC.vtEnable.insert(1, into: mtqc)
        mtqc = R.MTQC.numTCOrQueues.insert(2, into: mtqc)
        write(R.MTQC.offset, UInt32(truncatingIfNeeded: mtqc))
        clearBits(R.RTTDCS.offset, R.RTTDCS.arbdis.mask)
        let mrqc = R.MRQC.mrqe.insert(R.MRQC.MRQEValue.vmdq64, into: UInt64(read(R.MRQC.offset)))
        write(R.MRQC.offset, UInt32(truncatingIfNeeded: mrqc))
        let pf = UInt32(1) << UInt32(pfPool % 32)
        for half in 0..<2 {
            write(R.PFVFRE.offset(half), pfPool / 32 == half ? pf : 0)
            write(R.PFVFTE.offset(half), pfPool / 32 == half ? pf : 0)
        }
        write(R.VMOLR.offset(pfPool), UInt32(truncatingIfNeeded: R.VMOLR.aupe.mask | R.VMOLR.bam.mask | R.VMOLR.rompe.mask))
        write(R.PFDTXGSWC.offset, UInt32(truncatingIfNeeded: R.PFDTXGSWC.loopbackEnable.mask))
        var spoof = [UInt32](repeating: 0, count: R.PFVFSPOOF.count)
        for vf in 0..<vfCount where policy[vf].spoofCheck {
            spoof[vf / 8] |= UInt32(1) << UInt32(R.PFVFSPOOF.macas.lsb + vf % 8)
            if policy[vf].defaultVLAN != nil { spoof[vf / 8] |= UInt32(1) << UInt32(R.PFVFSPOOF.vlanas.lsb + vf % 8) }
        }
        for n in 0..<R.PFVFSPOOF.count { write(R.PFVFSPOOF.offset(n), spoof[n]) }
        // Receive address 0 (the PF's MAC) belongs to the PF's pool.
        setPools(ofReceiveAddress: 0, UInt64(1) << UInt64(pfPool))
    }

    /// A VF pool's registers at SR-IOV enable and after a VF reset: receive address, VMOLR,
    /// port VLAN.
    func configurePool(ofVF vf: Int) {
        let settings = policy[vf]
        if let mac = vfs[vf].macAddress {
            writeReceiveAddress(receiveAddressIndex(ofVF: vf), mac, pools: UInt64(1) << UInt64(vf))
        } else {
            clearReceiveAddress(receiveAddressIndex(ofVF: vf))
        }
        // ixgbe's `ixgbe_set_vmolr`: broadcast, untagged frames unless under a port VLAN; ROMPE
        // comes with SET_MULTICAST or UPDATE_XCAST_MODE (the MTA is shared by all pools).
        var vmolr = R.VMOLR.bam.mask
        if settings.defaultVLAN == nil { vmolr |= R.VMOLR.aupe.mask }
        write(R.VMOLR.offset(vf), UInt32(truncatingIfNeeded: vmolr))
        if let vid = settings.defaultVLAN {
            var vmvir = R.VMVIR.vlanTag.insert(UInt64(vid), into: UInt64(0))
            vmvir = R.VMVIR.vlanAction.insert(R.VMVIR.VLANActionValue.alwaysInsertDefault, into: vmvir)
            write(R.VMVIR.offset(vf), UInt32(truncatingIfNeeded: vmvir))
            _ = setVLANMembership(vid, pool: vf, member: true)
        } else {
            write(R.VMVIR.offset(vf), 0)
        }
    }
}
