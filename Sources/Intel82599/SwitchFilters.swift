import Network
import RegisterModel

/// Receive-address lookup: MAC address to the set of pools (MPSAR) that own it, built from the
/// 128 RAL/RAH/MPSAR entries. Open addressing in a fixed table, so a lookup is a few compares
/// whatever the number of VFs, and never allocates.
struct MACPoolTable: Equatable {
    private static let slots = 512
    private static let empty = UInt64.max
    private var keys = [UInt64](repeating: MACPoolTable.empty, count: MACPoolTable.slots)
    private var pools = [UInt64](repeating: 0, count: MACPoolTable.slots)
    /// The slots holding an address, so forgetting them all touches only those.
    private var occupied: [Int] = []

    /// Forgets every address.
    mutating func removeAll() {
        for i in occupied { keys[i] = Self.empty }
        occupied.removeAll(keepingCapacity: true)
    }

    /// Holds the addresses of the valid `entries`, added in entry order.
    mutating func rebuild(from entries: [ReceiveAddressEntry]) {
        removeAll()
        for e in entries where e.valid { add(e.mac, pools: e.pools) }
    }

    /// Adds `poolMask` to the pools of `mac`.
    mutating func add(_ mac: UInt64, pools poolMask: UInt64) {
        var i = Self.slot(mac)
        while keys[i] != Self.empty, keys[i] != mac { i = (i + 1) & (Self.slots - 1) }
        if keys[i] == mac {
            pools[i] |= poolMask
        } else {
            keys[i] = mac
            pools[i] = poolMask
            occupied.append(i)
        }
    }

    /// Pools that own `mac` (0 if none); `found` tells a listed address without pools from none.
    @inline(__always) func lookup(_ mac: UInt64) -> (found: Bool, pools: UInt64) {
        var i = Self.slot(mac)
        while true {
            let k = keys[i]
            if k == mac { return (true, pools[i]) }
            if k == Self.empty { return (false, 0) }
            i = (i + 1) & (Self.slots - 1)
        }
    }

    /// Same addresses in the same slots with the same pools (what a slot held before the table
    /// was last emptied does not count, nor the order slots were filled in).
    static func == (a: MACPoolTable, b: MACPoolTable) -> Bool {
        a.keys == b.keys && a.keys.indices.allSatisfy { a.keys[$0] == empty || a.pools[$0] == b.pools[$0] }
    }

    @inline(__always) private static func slot(_ mac: UInt64) -> Int {
        Int(truncatingIfNeeded: (mac &* 0x9E37_79B9_7F4A_7C15) >> 55) & (slots - 1)
    }
}

/// The filter state of the receive path and the internal switch, derived from the filter
/// registers whenever one of them is written (datasheet §7.1.2 and §7.10.3.4).
struct SwitchFilters: Equatable {
    typealias R = Intel82599PFRegisters

    /// Receive addresses.
    var macs = MACPoolTable()
    /// RAL/RAH/MPSAR entry by entry, as `macs` was last built from them.
    var receiveAddresses = [ReceiveAddressEntry](repeating: .unused, count: R.RAL.count)
    /// Pools that are members of each VLAN id (VLVF/VLVFB).
    var vlanPools = [UInt64](repeating: 0, count: 4096)
    /// Whether an enabled VLVF entry has set any of `vlanPools` since it was last zeroed.
    private var vlanTableInUse = false
    /// Pools accepting untagged frames (VMOLR.AUPE).
    var untaggedPools: UInt64 = 0
    /// Pools accepting broadcast (VMOLR.BAM).
    var broadcastPools: UInt64 = 0
    /// Pools accepting multicast that hits the MTA (VMOLR.ROMPE).
    var multicastTablePools: UInt64 = 0
    /// Multicast promiscuous pools (VMOLR.MPE).
    var multicastPromiscuousPools: UInt64 = 0
    /// Pools with receive enabled (PFVFRE).
    var receiveEnabledPools: UInt64 = 0
    /// Pools with transmit enabled (PFVFTE).
    var transmitEnabledPools: UInt64 = 0
    /// Pools with MAC anti-spoofing (PFVFSPOOF.MACAS).
    var macAntiSpoofPools: UInt64 = 0
    /// Pools with VLAN anti-spoofing (PFVFSPOOF.VLANAS).
    var vlanAntiSpoofPools: UInt64 = 0
    /// Default VLAN inserted on transmit per pool (VMVIR with "always insert"), -1 for none.
    var defaultVLAN = [Int32](repeating: -1, count: Intel82599.poolCount)
    /// PFDTXGSWC.VT_LBEN.
    var loopback = false
    /// Multicast table (4096 bits).
    var multicastTable = [UInt32](repeating: 0, count: 128)
    /// MCSTCTRL.MO.
    var multicastOffset = 0
    /// FCTRL bits for the non-virtualized receive path.
    var unicastPromiscuous = false
    var multicastPromiscuous = false
    var acceptBroadcast = false

    /// Rebuilds the receive-address table from RAL/RAH/MPSAR.
    mutating func rebuildAddresses(_ r: RegisterFile) { rebuildAddresses { r.value(at: $0) } }

    /// Rebuilds the receive-address table from the registers `value` reads by offset.
    mutating func rebuildAddresses(_ value: (Int) -> UInt64) {
        for n in 0..<R.RAL.count { receiveAddresses[n] = ReceiveAddressEntry(entry: n, reading: value) }
        macs.rebuild(from: receiveAddresses)
    }

    /// Rebuilds VLAN membership from VLVF/VLVFB.
    mutating func rebuildVLANs(_ r: RegisterFile) {
        clearVLANs()
        for n in 0..<R.VLVF.count {
            let entry = r.value(at: R.VLVF.offset(n))
            guard R.VLVF.enable.isSet(in: entry) else { continue }
            let vid = Int(R.VLVF.vlanid.extract(from: entry))
            vlanPools[vid] |= r.value(at: R.VLVFB.offset(2 * n)) | r.value(at: R.VLVFB.offset(2 * n + 1)) << 32
            vlanTableInUse = true
        }
    }

    /// Every VLAN without pools (the 32 KiB table is zeroed only if a VLVF entry filled it).
    private mutating func clearVLANs() {
        guard vlanTableInUse else { return }
        for i in 0..<vlanPools.count { vlanPools[i] = 0 }
        vlanTableInUse = false
    }

    /// Back to the state of `SwitchFilters()` (a device reset), keeping the storage.
    mutating func clear() {
        macs.removeAll()
        for n in 0..<receiveAddresses.count { receiveAddresses[n] = .unused }
        clearVLANs()
        untaggedPools = 0
        broadcastPools = 0
        multicastTablePools = 0
        multicastPromiscuousPools = 0
        receiveEnabledPools = 0
        transmitEnabledPools = 0
        macAntiSpoofPools = 0
        vlanAntiSpoofPools = 0
        for p in 0..<defaultVLAN.count { defaultVLAN[p] = -1 }
        loopback = false
        for n in 0..<multicastTable.count { multicastTable[n] = 0 }
        multicastOffset = 0
        unicastPromiscuous = false
        multicastPromiscuous = false
        acceptBroadcast = false
    }

    /// Rebuilds the per-pool masks from VMOLR, PFVFRE/TE, PFVFSPOOF, VMVIR, PFDTXGSWC, MTA, FCTRL.
    mutating func rebuildPoolControls(_ file: RegisterFile) { rebuildPoolControls { file.value(at: $0) } }

    /// Rebuilds the per-pool masks from the registers `r` reads by offset.
    mutating func rebuildPoolControls(_ r: (Int) -> UInt64) {
        for p in 0..<Intel82599.poolCount {
            loadOffloads(ofPool: p, r)
            loadDefaultVLAN(ofPool: p, r)
        }
        loadEnables(r)
        for n in 0..<R.PFVFSPOOF.count { loadAntiSpoofing(n, r) }
        loadLoopback(r)
        for n in 0..<multicastTable.count { multicastTable[n] = UInt32(truncatingIfNeeded: r(R.MTA.offset(n))) }
        loadMulticastOffset(r)
        loadFilterControl(r)
    }

    /// Whether a multicast destination hits the MTA (datasheet §7.1.2.2: 12 address bits chosen
    /// by MCSTCTRL.MO index 4096 table bits).
    @inline(__always) func multicastTableHit(_ mac: UInt64) -> Bool {
        let o4 = UInt16(truncatingIfNeeded: mac >> 8) & 0xFF
        let o5 = UInt16(truncatingIfNeeded: mac) & 0xFF
        let hash: UInt16
        switch multicastOffset {
        case 0: hash = (o4 >> 4) | (o5 << 4)
        case 1: hash = (o4 >> 3) | (o5 << 5)
        case 2: hash = (o4 >> 2) | (o5 << 6)
        default: hash = o4 | (o5 << 8)
        }
        let h = Int(hash & 0xFFF)
        return multicastTable[h >> 5] & (UInt32(1) << UInt32(h & 31)) != 0
    }
}
