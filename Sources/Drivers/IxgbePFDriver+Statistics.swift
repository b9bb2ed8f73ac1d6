import Intel82599
import PCIe

extension IxgbePFDriver {
    /// The current settings and counters of VF `vf`, nil if it does not exist.
    public func vfState(_ vf: Int) -> IxgbeVFMailboxState? {
        vf >= 0 && vf < vfs.count ? vfs[vf] : nil
    }

    /// Per-VF statistics straight from PVFGPRC/PVFGPTC/PVFGORC/PVFGOTC (32-bit packet counts,
    /// 36-bit octet counts; they wrap and are not cleared by reads or VF resets).
    public func vfStatistics(_ vf: Int) -> IxgbeVFStatistics {
        guard vf >= 0, vf < R.PVFGPRC.count else { return IxgbeVFStatistics() }
        let rxBytes = UInt64(read(R.PVFGORC_MSB.offset(vf)) & 0xF) << 32 | UInt64(read(R.PVFGORC_LSB.offset(vf)))
        let txBytes = UInt64(read(R.PVFGOTC_MSB.offset(vf)) & 0xF) << 32 | UInt64(read(R.PVFGOTC_LSB.offset(vf)))
        return IxgbeVFStatistics(
            receivedPackets: UInt64(read(R.PVFGPRC.offset(vf))), transmittedPackets: UInt64(read(R.PVFGPTC.offset(vf))),
            receivedBytes: rxBytes, transmittedBytes: txBytes)
    }

    /// Port statistics accumulated from the clear-on-read counters (read them all now).
    public func statistics() -> IxgbePFStatistics {
        var s = portStatistics
        s.receivedPackets &+= UInt64(read(R.GPRC.offset))
        s.transmittedPackets &+= UInt64(read(R.GPTC.offset))
        let rxLow = UInt64(read(R.GORCL.offset))
        s.receivedBytes &+= UInt64(read(R.GORCH.offset) & 0xF) << 32 | rxLow
        let txLow = UInt64(read(R.GOTCL.offset))
        s.transmittedBytes &+= UInt64(read(R.GOTCH.offset) & 0xF) << 32 | txLow
        for n in 0..<R.MPC.count { s.missedPackets &+= UInt64(read(R.MPC.offset(n))) }
        s.spoofedPackets &+= UInt64(read(R.SSVPC.offset))
        portStatistics = s
        return s
    }
}
