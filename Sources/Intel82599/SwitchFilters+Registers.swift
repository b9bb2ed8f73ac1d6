import Network
import RegisterModel

/// One receive-address entry: RAL(n), RAH(n) and MPSAR(n) as the MAC table takes them in.
struct ReceiveAddressEntry: Equatable {
    /// An entry without Address Valid: not in the table, whatever its other registers hold.
    static let unused = ReceiveAddressEntry(mac: 0, pools: 0, valid: false)
    var mac: UInt64
    var pools: UInt64
    var valid: Bool

    init(mac: UInt64, pools: UInt64, valid: Bool) {
        self.mac = mac
        self.pools = pools
        self.valid = valid
    }

    /// Entry `n` of the registers `value` reads (by offset).
    init(entry n: Int, reading value: (Int) -> UInt64) {
        typealias R = Intel82599PFRegisters
        let high = value(R.RAH.offset(n))
        guard R.RAH.av.isSet(in: high) else {
            self = .unused
            return
        }
        let low = value(R.RAL.offset(n))
        let mac = MACAddress(receiveAddressLow: UInt32(truncatingIfNeeded: low), high: UInt16(truncatingIfNeeded: high))
        self.init(mac: mac.value, pools: value(R.MPSAR_LO.offset(n)) | value(R.MPSAR_HI.offset(n)) << 32, valid: true)
    }
}

/// What a write to one filter register changes. Drivers rewrite these registers one at a time
/// and often (a VF reset through the mailbox writes dozens of them), so a write reloads only
/// the state that register determines; ``SwitchFilters/rebuildAddresses(_:)`` and
/// ``SwitchFilters/rebuildPoolControls(_:)`` load every register through the same functions.
extension SwitchFilters {
    /// The index of the instance of a register array (`offset`, `count`, `stride`) at byte
    /// offset `o`, if `o` is one.
    @inline(__always) static func instance(_ o: Int, offset: Int, count: Int, stride: Int) -> Int? {
        let rel = o - offset
        guard rel >= 0, rel % stride == 0, rel / stride < count else { return nil }
        return rel / stride
    }

    /// RAL, RAH, MPSAR_LO or MPSAR_HI at `o` was written: the table changes only if the entry did.
    /// `value` reads a register by offset: the device passes a closure over its own register
    /// file, so the file is not copied per write (a `RegisterFile` argument was).
    mutating func receiveAddressWritten(at o: Int, _ value: (Int) -> UInt64) {
        let n =
            Self.instance(o, offset: R.RAL.offset, count: R.RAL.count, stride: R.RAL.stride)
            ?? Self.instance(o, offset: R.RAH.offset, count: R.RAH.count, stride: R.RAH.stride)
            ?? Self.instance(o, offset: R.MPSAR_LO.offset, count: R.MPSAR_LO.count, stride: R.MPSAR_LO.stride)
            ?? Self.instance(o, offset: R.MPSAR_HI.offset, count: R.MPSAR_HI.count, stride: R.MPSAR_HI.stride)
        guard let n else {
            rebuildAddresses(value)
            return
        }
        let entry = ReceiveAddressEntry(entry: n, reading: value)
        guard entry != receiveAddresses[n] else { return }
        receiveAddresses[n] = entry
        macs.rebuild(from: receiveAddresses)
    }

    /// VMOLR, VMVIR, PFVFRE, PFVFTE, PFVFSPOOF, PFDTXGSWC, MCSTCTRL or FCTRL at `o` was written
    /// (or set by the device): reloads what that register determines; anything else, all of it.
    mutating func poolControlWritten(at o: Int, _ r: (Int) -> UInt64) {
        if let p = Self.instance(o, offset: R.VMOLR.offset, count: R.VMOLR.count, stride: R.VMOLR.stride) {
            loadOffloads(ofPool: p, r)
        } else if let p = Self.instance(o, offset: R.VMVIR.offset, count: R.VMVIR.count, stride: R.VMVIR.stride) {
            loadDefaultVLAN(ofPool: p, r)
        } else if let n = Self.instance(o, offset: R.PFVFSPOOF.offset, count: R.PFVFSPOOF.count, stride: R.PFVFSPOOF.stride) {
            loadAntiSpoofing(n, r)
        } else if Self.instance(o, offset: R.PFVFRE.offset, count: R.PFVFRE.count, stride: R.PFVFRE.stride) != nil
            || Self.instance(o, offset: R.PFVFTE.offset, count: R.PFVFTE.count, stride: R.PFVFTE.stride) != nil
        {
            loadEnables(r)
        } else if o == R.PFDTXGSWC.offset {
            loadLoopback(r)
        } else if o == R.MCSTCTRL.offset {
            loadMulticastOffset(r)
        } else if o == R.FCTRL.offset {
            loadFilterControl(r)
        } else {
            rebuildPoolControls(r)
        }
    }

    /// VMOLR(p): untagged, broadcast, MTA and multicast-promiscuous acceptance of pool `p`.
    mutating func loadOffloads(ofPool p: Int, _ r: (Int) -> UInt64) {
        let vmolr = r(R.VMOLR.offset(p))
        let bit = UInt64(1) << UInt64(p)
        func assign(_ mask: inout UInt64, _ on: Bool) { mask = on ? mask | bit : mask & ~bit }
        assign(&untaggedPools, R.VMOLR.aupe.isSet(in: vmolr))
        assign(&broadcastPools, R.VMOLR.bam.isSet(in: vmolr))
        assign(&multicastTablePools, R.VMOLR.rompe.isSet(in: vmolr))
        assign(&multicastPromiscuousPools, R.VMOLR.mpe.isSet(in: vmolr))
    }

    /// VMVIR(p): the VLAN pool `p`'s transmits always get, or none.
    mutating func loadDefaultVLAN(ofPool p: Int, _ r: (Int) -> UInt64) {
        let vmvir = r(R.VMVIR.offset(p))
        let insert = R.VMVIR.vlanAction.extract(from: vmvir) == R.VMVIR.VLANActionValue.alwaysInsertDefault
        defaultVLAN[p] = insert ? Int32(R.VMVIR.vlanTag.extract(from: vmvir) & 0xFFF) : -1
    }

    /// PFVFRE and PFVFTE: pools with receive and transmit enabled.
    mutating func loadEnables(_ r: (Int) -> UInt64) {
        receiveEnabledPools = r(R.PFVFRE.offset(0)) | r(R.PFVFRE.offset(1)) << 32
        transmitEnabledPools = r(R.PFVFTE.offset(0)) | r(R.PFVFTE.offset(1)) << 32
    }

    /// PFVFSPOOF(n): MAC and VLAN anti-spoofing of pools 8n ..< 8n + 8.
    mutating func loadAntiSpoofing(_ n: Int, _ r: (Int) -> UInt64) {
        let v = r(R.PFVFSPOOF.offset(n))
        let shift = UInt64(8 * n)
        let byte = UInt64(0xFF) << shift
        macAntiSpoofPools = (macAntiSpoofPools & ~byte) | R.PFVFSPOOF.macas.extract(from: v) << shift
        vlanAntiSpoofPools = (vlanAntiSpoofPools & ~byte) | R.PFVFSPOOF.vlanas.extract(from: v) << shift
    }

    /// PFDTXGSWC.VT_LBEN.
    mutating func loadLoopback(_ r: (Int) -> UInt64) {
        loopback = R.PFDTXGSWC.loopbackEnable.isSet(in: r(R.PFDTXGSWC.offset))
    }

    /// MCSTCTRL.MO.
    mutating func loadMulticastOffset(_ r: (Int) -> UInt64) {
        multicastOffset = Int(R.MCSTCTRL.mo.extract(from: r(R.MCSTCTRL.offset)))
    }

    /// FCTRL's promiscuous and broadcast bits for the non-virtualized receive path.
    mutating func loadFilterControl(_ r: (Int) -> UInt64) {
        let fctrl = r(R.FCTRL.offset)
        unicastPromiscuous = R.FCTRL.upe.isSet(in: fctrl)
        multicastPromiscuous = R.FCTRL.mpe.isSet(in: fctrl)
        acceptBroadcast = R.FCTRL.bam.isSet(in: fctrl)
    }
}
