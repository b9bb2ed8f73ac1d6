import ENA
import PCIe
import RegisterModel

extension ENADriver {
    /// How long a readless read may take (HW_HINTS `mmio_read_timeout`, else Linux's 200 ms).
    var readTimeout: VirtualDuration {
        hints.mmioReadTimeout > 0 ? .milliseconds(UInt64(hints.mmioReadTimeout)) : .milliseconds(200)
    }

    /// Programs MMIO_RESP with the readless response buffer (again after every reset: the device
    /// forgets it).
    func armReadlessResponse() {
        guard readless, let response = readResponse else { return }
        let address = response.deviceAddress.value
        write(R.MMIO_RESP_LO.offset, UInt32(truncatingIfNeeded: address))
        write(R.MMIO_RESP_HI.offset, UInt32(truncatingIfNeeded: address >> 32))
    }

    /// Reads a register: through MMIO_REG_READ and the response buffer (readless) or directly.
    ///
    /// Readless, as `ena_com_reg_bar_read32` does it: bump the sequence, pre-write `req_id` with
    /// sequence + 0xDEAD, write `reg_off << 16 | sequence`, poll until `req_id` equals the
    /// sequence, then check `reg_off`. A stale or foreign answer is never returned.
    public func readRegister(_ offset: Int) throws(ENADriverError) -> UInt32 {
        guard readless else { return access.read32(bar, UInt64(offset)) }
        guard let response = readResponse?.host.baseAddress else { throw .notRunning }
        readSequence &+= 1
        let sequence = readSequence
        response.storeBytes(of: (sequence &+ 0xDEAD).littleEndian, as: UInt16.self)
        write(R.MMIO_REG_READ.offset, UInt32(truncatingIfNeeded: offset) << 16 | UInt32(sequence))
        let deadline = access.clock.now.advanced(by: readTimeout)
        while true {
            if UInt16(littleEndian: response.load(as: UInt16.self)) == sequence {
                guard UInt16(littleEndian: response.load(fromByteOffset: 2, as: UInt16.self)) == UInt16(offset) else {
                    throw .registerReadTimeout(offset: offset)
                }
                return UInt32(littleEndian: response.load(fromByteOffset: 4, as: UInt32.self))
            }
            guard access.clock.now < deadline else { throw .registerReadTimeout(offset: offset) }
            access.sleep(configuration.pollInterval)
        }
    }

    /// DEV_STS.
    public func deviceStatus() throws(ENADriverError) -> UInt32 { try readRegister(R.DEV_STS.offset) }

    /// The DEV_CTL value that starts a reset for `reason`: the low four bits in 31:28, the rest in
    /// 27:24 when the device has EXTENDED_RESET_REASONS (otherwise reasons above 15 become GENERIC).
    func resetControl(_ reason: ENAResetReason) -> UInt32 {
        var value = reason.rawValue
        if value > 15, attributes?.has(.extendedResetReasons) != true { value = ENAResetReason.generic.rawValue }
        var control = UInt32(truncatingIfNeeded: R.DEV_CTL.devReset.mask)
        control = R.DEV_CTL.resetReason.insert(UInt32(value & 0xF), into: control)
        return R.DEV_CTL.resetReasonExt.insert(UInt32(value >> 4), into: control)
    }

    /// The reset handshake (`ena_com_dev_reset`): DEV_STS must be READY; DEV_CTL = DEV_RESET |
    /// reason; MMIO_RESP re-armed; wait for RESET_IN_PROGRESS; DEV_CTL = 0; wait for it to clear.
    /// Both waits are bounded by CAPS.RESET_TIMEOUT.
    func resetDevice(reason: ENAResetReason) throws(ENADriverError) {
        let status = try deviceStatus()
        guard R.DEV_STS.ready.isSet(in: status) else {
            throw .resetTimeout("DEV_STS 0x\(String(status, radix: 16)) is not READY; the device cannot be reset")
        }
        let caps = try readRegister(R.CAPS.offset)
        let units = R.CAPS.resetTimeout.extract(from: caps)
        guard units > 0 else { throw .unsupported("CAPS.RESET_TIMEOUT is 0") }
        let timeout = VirtualDuration.milliseconds(UInt64(units) * 100)
        write(R.DEV_CTL.offset, resetControl(reason))
        armReadlessResponse()
        try waitForResetInProgress(true, timeout: timeout)
        write(R.DEV_CTL.offset, 0)
        try waitForResetInProgress(false, timeout: timeout)
    }

    private func waitForResetInProgress(_ expected: Bool, timeout: VirtualDuration) throws(ENADriverError) {
        let deadline = access.clock.now.advanced(by: timeout)
        while true {
            let status = try deviceStatus()
            if R.DEV_STS.resetInProgress.isSet(in: status) == expected { return }
            guard access.clock.now < deadline else {
                let value = String(status, radix: 16)
                throw .resetTimeout("RESET_IN_PROGRESS did not become \(expected ? 1 : 0) (DEV_STS 0x\(value))")
            }
            access.sleep(.milliseconds(1))
        }
    }

    /// VERSION, CONTROLLER_VERSION and CAPS.DMA_ADDR_WIDTH checks of `ena_device_init`.
    func checkVersions() throws(ENADriverError) {
        let version = try readRegister(R.VERSION.offset)
        let controller = try readRegister(R.CONTROLLER_VERSION.offset)
        guard version != 0xFFFF_FFFF, controller != 0xFFFF_FFFF else {
            throw .unsupported("VERSION/CONTROLLER_VERSION read all ones")
        }
        let major = R.VERSION.majorVersion.extract(from: version)
        let minor = R.VERSION.minorVersion.extract(from: version)
        guard major > 0 || minor >= 1 else { throw .unsupported("device version \(major).\(minor)") }
        let width = R.CAPS.dmaAddrWidth.extract(from: try readRegister(R.CAPS.offset))
        guard (32...64).contains(width) else { throw .unsupported("DMA address width \(width)") }
    }

    /// The admin command timeout: CAPS.ADMIN_CMD_TO (100 ms units), HW_HINTS, else 3 s.
    func adminTimeout(caps: UInt32) -> VirtualDuration {
        let units = R.CAPS.adminCmdTo.extract(from: caps)
        if units > 0 { return .milliseconds(UInt64(units) * 100) }
        if hints.adminCompletionTimeout > 0 { return .milliseconds(UInt64(hints.adminCompletionTimeout)) }
        return .seconds(3)
    }
}
