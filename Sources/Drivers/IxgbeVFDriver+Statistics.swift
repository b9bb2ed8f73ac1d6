import Intel82599
import PCIe

/// The VF's statistics registers widened to 64 bits (ixgbevf's `update_stats`).
struct IxgbeVFCounters {
    var receivedPackets: IxgbeWrappingCounter
    var transmittedPackets: IxgbeWrappingCounter
    var receivedBytes: IxgbeWrappingCounter
    var transmittedBytes: IxgbeWrappingCounter

    init<A: DeviceAccess>(readingFrom driver: IxgbeVFDriver<A>) {
        let r = Self.read(driver)
        receivedPackets = IxgbeWrappingCounter(bits: 32, initial: r.0)
        transmittedPackets = IxgbeWrappingCounter(bits: 32, initial: r.1)
        receivedBytes = IxgbeWrappingCounter(bits: 36, initial: r.2)
        transmittedBytes = IxgbeWrappingCounter(bits: 36, initial: r.3)
    }

    /// VFGPRC, VFGPTC, VFGORC (36 bits), VFGOTC (36 bits).
    static func read<A: DeviceAccess>(_ d: IxgbeVFDriver<A>) -> (UInt64, UInt64, UInt64, UInt64) {
        typealias V = Intel82599VFRegisters
        let rxLow = UInt64(d.register(V.VFGORC_LSB.offset))
        let rxBytes = UInt64(d.register(V.VFGORC_MSB.offset) & 0xF) << 32 | rxLow
        let txLow = UInt64(d.register(V.VFGOTC_LSB.offset))
        let txBytes = UInt64(d.register(V.VFGOTC_MSB.offset) & 0xF) << 32 | txLow
        return (UInt64(d.register(V.VFGPRC.offset)), UInt64(d.register(V.VFGPTC.offset)), rxBytes, txBytes)
    }

    mutating func update<A: DeviceAccess>(from d: IxgbeVFDriver<A>) {
        let r = Self.read(d)
        receivedPackets.update(r.0)
        transmittedPackets.update(r.1)
        receivedBytes.update(r.2)
        transmittedBytes.update(r.3)
    }
}

extension IxgbeVFDriver {
    /// Good packets and octets since the first ``start()``, from VFGPRC/VFGPTC/VFGORC/VFGOTC.
    /// The registers wrap at 32 (packets) and 36 (octets) bits and are not cleared by reads;
    /// call this at least once per wrap period to keep the 64-bit totals exact.
    public func statistics() -> IxgbeVFStatistics {
        guard var c = counters else { return IxgbeVFStatistics() }
        c.update(from: self)
        counters = c
        return IxgbeVFStatistics(
            receivedPackets: c.receivedPackets.total, transmittedPackets: c.transmittedPackets.total,
            receivedBytes: c.receivedBytes.total, transmittedBytes: c.transmittedBytes.total)
    }
}
