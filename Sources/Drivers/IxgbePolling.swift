import PCIe

extension DeviceAccess {
    /// Polls the register at `offset` of `bar` every `step` until `done` holds for its value or
    /// `timeout` of virtual time passed. Returns whether `done` held.
    func ixgbePoll(
        _ bar: BARIndex, _ offset: Int, timeout: VirtualDuration, step: VirtualDuration = .microseconds(10),
        until done: (UInt32) -> Bool
    ) -> Bool {
        let deadline = clock.now.advanced(by: timeout)
        while true {
            if done(read32(bar, UInt64(offset))) { return true }
            if clock.now >= deadline { return false }
            sleep(step)
        }
    }
}
