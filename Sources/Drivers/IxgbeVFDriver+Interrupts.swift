import Intel82599
import PCIe
import RegisterModel

extension IxgbeVFDriver {
    /// MSI-X vector of receive queue `q` (two queue vectors; the third is the mailbox's).
    func receiveVector(_ q: Int) -> Int { q % 2 }

    /// Maps each receive queue to its vector (VTIVAR), the mailbox to vector 2 (VTIVAR_MISC),
    /// makes queue vectors auto-clear and auto-mask (VTEIAC/VTEIAM, re-armed by
    /// ``waitForReceive(queue:timeout:)``) and programs the MSI-X table.
    func enableInterrupts() {
        var ivar = [UInt32](repeating: 0, count: V.VTIVAR.count)
        for q in 0..<min(rxRings.count, 2 * V.VTIVAR.count) {
            let field = q % 2 == 0 ? V.VTIVAR.rxEven : V.VTIVAR.rxOdd
            ivar[q / 2] = field.insert(UInt32(receiveVector(q)) | 0x80, into: ivar[q / 2])
        }
        for n in 0..<V.VTIVAR.count { write(V.VTIVAR.offset(n), ivar[n]) }
        write(V.VTIVAR_MISC.offset, UInt32(truncatingIfNeeded: V.VTIVAR_MISC.mailbox.insert(UInt64(2 | 0x80), into: UInt64(0))))
        write(V.VTEIAC.offset, 0x3)
        write(V.VTEIAM.offset, 0x3)
        for v in 0..<2 { access.enableMSIXVector(v, data: UInt32(access.bdf.routingID) << 8 | UInt32(v)) }
    }

    /// Waits until receive queue `queue` has a frame or `timeout` passes (virtual time).
    ///
    /// With interrupts (``Configuration/interrupts``) it unmasks the queue's vector (VTEIMS) and
    /// sleeps in ``DeviceAccess/waitForInterrupt(vector:timeout:)``; otherwise it polls the next
    /// descriptor's DD bit every ``Configuration/pollInterval``. Returns whether a frame is there.
    public func waitForReceive(queue: Int, timeout: VirtualDuration) -> Bool {
        guard queue >= 0, queue < rxRings.count else { return false }
        let ring = rxRings[queue]
        if ring.hasPacket { return true }
        let deadline = access.clock.now.advanced(by: timeout)
        guard configuration.interrupts else {
            while !ring.hasPacket {
                guard access.clock.now < deadline else { return false }
                access.sleep(configuration.pollInterval)
            }
            return true
        }
        let vector = receiveVector(queue)
        while true {
            write(V.VTEIMS.offset, UInt32(1) << UInt32(vector))
            if ring.hasPacket { return true }
            let now = access.clock.now
            guard now < deadline else { return false }
            _ = access.waitForInterrupt(
                vector: vector, timeout: VirtualDuration(nanoseconds: deadline.nanoseconds - now.nanoseconds))
            if ring.hasPacket { return true }
        }
    }
}
