import Intel82599
import Network
import PCIe
import RegisterModel

extension IxgbePFDriver {
    /// Programs receive address `n` (RAL, MPSAR, then RAH with Address Valid).
    func writeReceiveAddress(_ n: Int, _ mac: MACAddress, pools: UInt64) {
        write(R.RAH.offset(n), 0)
        write(R.RAL.offset(n), mac.receiveAddressLow)
        setPools(ofReceiveAddress: n, pools)
        write(R.RAH.offset(n), UInt32(mac.receiveAddressHigh) | UInt32(truncatingIfNeeded: R.RAH.av.mask))
    }

    /// Invalidates receive address `n`.
    func clearReceiveAddress(_ n: Int) {
        write(R.RAH.offset(n), 0)
        write(R.RAL.offset(n), 0)
        setPools(ofReceiveAddress: n, 0)
    }

    /// MPSAR of receive address `n`.
    func setPools(ofReceiveAddress n: Int, _ pools: UInt64) {
        write(R.MPSAR_LO.offset(n), UInt32(truncatingIfNeeded: pools))
        write(R.MPSAR_HI.offset(n), UInt32(truncatingIfNeeded: pools >> 32))
    }

    /// Adds `pool` to (or removes it from) VLAN `vid`'s VLVF entry and the VFTA; returns false
    /// when no VLVF entry is free.
    func setVLANMembership(_ vid: UInt16, pool: Int, member: Bool) -> Bool {
        let id = UInt64(vid & 0xFFF)
        var entry: Int?
        var free: Int?
        for n in 0..<R.VLVF.count {
            let v = UInt64(read(R.VLVF.offset(n)))
            if R.VLVF.enable.isSet(in: v) {
                if R.VLVF.vlanid.extract(from: v) == id { entry = n }
            } else if free == nil {
                free = n
            }
        }
        let word = pool / 32
        let bit = UInt32(1) << UInt32(pool % 32)
        if member {
            guard let n = entry ?? free else { return false }
            write(R.VLVFB.offset(2 * n + word), read(R.VLVFB.offset(2 * n + word)) | bit)
            write(R.VLVF.offset(n), UInt32(truncatingIfNeeded: R.VLVF.enable.mask | id))
            write(R.VFTA.offset(Int(id) / 32), read(R.VFTA.offset(Int(id) / 32)) | UInt32(1) << UInt32(id % 32))
            return true
        }
        guard let n = entry else { return true }
        write(R.VLVFB.offset(2 * n + word), read(R.VLVFB.offset(2 * n + word)) & ~bit)
        if read(R.VLVFB.offset(2 * n)) == 0, read(R.VLVFB.offset(2 * n + 1)) == 0 {
            write(R.VLVF.offset(n), 0)
            write(R.VFTA.offset(Int(id) / 32), read(R.VFTA.offset(Int(id) / 32)) & ~(UInt32(1) << UInt32(id % 32)))
        }
        return true
    }

    /// Sets or clears pool `vf`'s bit in PFVFRE and PFVFTE.
    func setPoolEnabled(_ vf: Int, _ on: Bool) {
        let bit = UInt64(1) << UInt64(vf % 32)
        for reg in [R.PFVFRE.offset(vf / 32), R.PFVFTE.offset(vf / 32)] {
            if on { setBits(reg, bit) } else { clearBits(reg, bit) }
        }
    }

    /// Sets drop-enable for every receive queue of pool `vf` through QDE (ixgbe's `write_qde`).
    func enableQueueDrop(ofPool vf: Int) {
        for q in (2 * vf)..<(2 * vf + 2) {
            var qde: UInt64 = 0
            qde = R.QDE.enable.insert(1, into: qde)
            qde = R.QDE.index.insert(UInt64(q), into: qde)
            qde = R.QDE.write.insert(1, into: qde)
            write(R.QDE.offset, UInt32(truncatingIfNeeded: qde))
        }
    }

    /// Rewrites the MTA from the multicast hashes of every VF.
    func rebuildMulticastTable() {
        var table = [UInt32](repeating: 0, count: R.MTA.count)
        for state in vfs {
            for hash in state.multicastHashes {
                table[Int(hash >> 5) & 0x7F] |= UInt32(1) << UInt32(hash & 0x1F)
            }
        }
        for n in 0..<R.MTA.count { write(R.MTA.offset(n), table[n]) }
    }
}
