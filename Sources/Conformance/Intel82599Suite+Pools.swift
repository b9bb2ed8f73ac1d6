import Network
import PCIe

/// The virtualized port of §7.10 as a PF driver with SR-IOV sets it up: 64-pool mode, VF n owns
/// pool n, the PF owns the default pool right after the VFs; every pool has its own address in
/// the receive-address table (MPSAR), accepts untagged and broadcast frames (VMOLR.AUPE/BAM),
/// receive and transmit enabled (PFVFRE/PFVFTE), and one RX and one TX ring on its first
/// queue; VEB loopback (PFDTXGSWC.VT_LBEN) on. VF rings are set up through the VFs' own
/// windows and DMA spaces.
final class PoolSetup {
    let fixture: Intel82599Fixture
    /// Address of each pool (VFs first, then the PF's).
    let macs: [MACAddress]
    let rx: [SuiteRxRing]
    let tx: [SuiteTxRing]
    var pools: Int { macs.count }
    var pfPool: Int { macs.count - 1 }

    /// The address of VF `n`.
    static func vfAddress(_ n: Int) -> MACAddress { MACAddress(0x0200_0082_5900 | UInt64(n + 1)) }

    /// Resets the port and sets everything up; nil (with a failure) if that does not work.
    init?(_ f: Intel82599Fixture, _ r: inout CheckRecorder) {
        fixture = f
        guard f.resetPort(&r, link: f.cablePlugged) else { return nil }
        let vfs = f.vfs.count
        macs = (0..<vfs).map(Self.vfAddress) + [f.permanentAddress]
        f.poolMode()
        var poolMask: UInt32 = 0
        for pool in 0...vfs {
            // RAR 0 holds the PF's permanent address; VF n uses RAR n + 1.
            let rar = pool == vfs ? 0 : pool + 1
            f.write(PFR.RAL.offset(rar), macs[pool].receiveAddressLow)
            f.write(PFR.RAH.offset(rar), UInt32(macs[pool].receiveAddressHigh) | UInt32(PFR.RAH.av.mask))
            f.write(PFR.MPSAR_LO.offset(rar), 1 << UInt32(pool))
            f.write(PFR.VMOLR.offset(pool), UInt32(PFR.VMOLR.aupe.mask | PFR.VMOLR.bam.mask))
            poolMask |= 1 << UInt32(pool)
        }
        f.write(PFR.PFVFRE.offset(0), poolMask)
        f.write(PFR.PFVFTE.offset(0), poolMask)
        f.write(PFR.PFDTXGSWC.offset, UInt32(PFR.PFDTXGSWC.loopbackEnable.mask))
        f.write(PFR.RXCTRL.offset, UInt32(PFR.RXCTRL.rxen.mask))
        f.write(PFR.DMATXCTL.offset, UInt32(PFR.DMATXCTL.te.mask))
        let pfQueue = vfs * Intel82599Fixture.queuesPerPool(64)
        do {
            var rx: [SuiteRxRing] = []
            var tx: [SuiteTxRing] = []
            for n in 0..<vfs {
                rx.append(try SuiteRxRing(QueueWindow.vfRx(f, vf: n, 0), entries: 16))
                tx.append(try SuiteTxRing(QueueWindow.vfTx(f, vf: n, 0), entries: 16))
            }
            rx.append(try SuiteRxRing(QueueWindow.pfRx(f, pfQueue), entries: 16))
            tx.append(try SuiteTxRing(QueueWindow.pfTx(f, pfQueue), entries: 16))
            self.rx = rx
            self.tx = tx
        } catch {
            r.expect(false, "ring setup: \(error)")
            return nil
        }
        for (pool, ring) in rx.enumerated() where !ring.window.enabled {
            r.expect(false, "RX ring of pool \(pool) did not enable")
        }
        for (pool, ring) in tx.enumerated() where !ring.window.enabled {
            r.expect(false, "TX ring of pool \(pool) did not enable")
        }
    }

    /// Who a pool is in messages.
    func describe(_ pool: Int) -> String { pool == pfPool ? "PF pool \(pool)" : "VF \(pool)" }

    /// Frames each pool received since the last call.
    func harvest() -> [[ReceivedFrame]] { rx.map { $0.harvest() } }

    /// Sets or clears pool `pool`'s bit in PFVFRE (receive) or PFVFTE (transmit).
    func setEnabled(_ pool: Int, receive: Bool, _ on: Bool) {
        let at = receive ? PFR.PFVFRE.offset(0) : PFR.PFVFTE.offset(0)
        let bit = UInt32(1) << UInt32(pool)
        fixture.write(at, on ? fixture.read(at) | bit : fixture.read(at) & ~bit)
    }

    /// Checks that exactly the pools in `expected` got one copy of `frame` (and nothing else
    /// equal to it), with LB set when `switched`.
    func expectDelivery(
        of frame: [UInt8], to expected: Set<Int>, switched: Bool, _ what: String, _ r: inout CheckRecorder
    ) {
        for (pool, frames) in harvest().enumerated() {
            let copies = frames.filter { $0.bytes == frame }
            if expected.contains(pool) {
                r.expect(copies.count == 1, "\(what): \(describe(pool)) got \(copies.count) copies, expected 1")
                if let c = copies.first {
                    r.expect(c.last.loopback == switched, "\(what): \(describe(pool)) got it with LB \(c.last.loopback)")
                }
            } else {
                r.expect(copies.isEmpty, "\(what): \(describe(pool)) got \(copies.count) copies, expected none")
            }
        }
    }
}
