import Intel82599
import Network
import PCIe
import RegisterModel

/// Reference driver for the Intel 82599 physical function (ixgbe-like), written only against
/// ``DeviceAccess`` and the generated register tables.
///
/// Bring-up follows the datasheet (§4.6.3) the way ixy does it: ``reset()``, optionally
/// ``enableSRIOV(vfCount:policy:)`` (pools, switch, anti-spoofing, receive addresses, the SR-IOV
/// capability), ``initialize(rxQueues:txQueues:ringSize:bufferCount:)`` for the PF's own queues
/// and ``waitForLink(timeout:)``. With VFs, ``serviceMailbox()`` answers their mailbox requests;
/// ``startMailboxService(interval:)`` runs it from a virtual-time timer, like the ixgbe PF's
/// mailbox task, so VF drivers polling for replies get them.
public final class IxgbePFDriver<Access: DeviceAccess> {
    typealias R = Intel82599PFRegisters

    /// The PF.
    public let access: Access
    /// BAR0, the register BAR.
    @usableFromInline let bar = BARIndex(clamping: 0)
    /// The permanent MAC address (receive address 0, loaded from the EEPROM at reset).
    public internal(set) var macAddress = MACAddress(0)
    /// VFs enabled by ``enableSRIOV(vfCount:policy:)`` (0 without SR-IOV).
    @exclusivity(unchecked) public internal(set) var vfCount = 0
    /// Routing ids of the VFs.
    public internal(set) var vfAddresses: [BDF] = []
    /// The policy SR-IOV was enabled with.
    public internal(set) var policy = IxgbeVFPolicy()
    /// Per-VF mailbox state (unchecked exclusivity: read and written element by element, or
    /// copied out and back, never across a call that reaches it again).
    @exclusivity(unchecked) var vfs: [IxgbeVFMailboxState] = []
    /// VF whose mailbox is looked at first in the next service round (round robin).
    /// Mailbox services skipped because the PF read as all ones (not decoding or removed,
    /// e.g. after a bus reset): the driver then writes nothing, as ixgbe's removal check does.
    @exclusivity(unchecked) public internal(set) var unresponsiveServices: UInt64 = 0
    @exclusivity(unchecked) var serviceStart = 0
    /// Timer of the background mailbox service.
    @exclusivity(unchecked) var serviceTimer: VirtualClock.TimerID?
    /// Period of the background mailbox service.
    @exclusivity(unchecked) var serviceInterval = VirtualDuration.microseconds(100)
    /// What the service timer runs, made once: a closure (and a weak reference) per tick cost
    /// more than an idle service round.
    lazy var serviceTick: () -> Void = { [weak self] in
        guard let self, self.serviceTimer != nil else { return }
        self.serviceMailbox()
        self.scheduleService()
    }
    /// MSI-X vector of the mailbox ("other") cause, when interrupts are on.
    var mailboxVector: Int?
    /// Accumulated port statistics.
    var portStatistics = IxgbePFStatistics()

    /// The PF's receive rings.
    @exclusivity(unchecked) @usableFromInline var rxRings: [IxgbeRxRing] = []
    /// The PF's transmit rings.
    @exclusivity(unchecked) @usableFromInline var txRings: [IxgbeTxRing] = []
    /// Buffers of the PF's own queues (nil until ``initialize(rxQueues:txQueues:ringSize:bufferCount:)``).
    @exclusivity(unchecked) public internal(set) var pool: PacketBufferPool?
    /// Hardware queue of the PF's queue 0 (its pool's first queue with SR-IOV).
    public internal(set) var queueBase = 0

    /// 82599 PF device ids this driver accepts (SFP+, KX4, CX4, T3, combo backplane, ...).
    public static var supportedDeviceIDs: Set<UInt16> {
        [0x10fb, 0x10f7, 0x10f8, 0x10f9, 0x10fc, 0x1507, 0x1514, 0x1517, 0x151c, 0x1529, 0x152a, 0x154d, 0x1557, 0x10d8]
    }

    /// Probes the function: Intel vendor id and an 82599 PF device id; enables memory decode and
    /// bus mastering; reads the MAC address. Call ``reset()`` before using the device.
    public init(access: Access) throws(IxgbeDriverError) {
        self.access = access
        let vendor = access.configRead16(ConfigOffset(PCIType0Header.VendorID.offset))
        let device = access.configRead16(ConfigOffset(PCIType0Header.DeviceID.offset))
        guard vendor == 0x8086, Self.supportedDeviceIDs.contains(device) else {
            throw .notFound(vendorID: vendor, deviceID: device)
        }
        access.enableBusMaster()
        macAddress = readReceiveAddress(0)
    }

    /// Reads register `offset` of BAR0.
    @inline(__always) func read(_ offset: Int) -> UInt32 { access.read32(bar, UInt64(offset)) }
    /// Writes register `offset` of BAR0.
    @inline(__always) func write(_ offset: Int, _ value: UInt32) { access.write32(bar, UInt64(offset), value) }
    /// Sets `bits` in register `offset`.
    func setBits(_ offset: Int, _ bits: UInt64) { write(offset, read(offset) | UInt32(truncatingIfNeeded: bits)) }
    /// Clears `bits` in register `offset`.
    func clearBits(_ offset: Int, _ bits: UInt64) { write(offset, read(offset) & ~UInt32(truncatingIfNeeded: bits)) }

    /// Reads the register at `offset` (for inspection and tests).
    public func register(_ offset: Int) -> UInt32 { read(offset) }

    /// The address in receive address register pair `n`.
    func readReceiveAddress(_ n: Int) -> MACAddress {
        MACAddress(receiveAddressLow: read(R.RAL.offset(n)), high: UInt16(truncatingIfNeeded: read(R.RAH.offset(n))))
    }

    /// Global reset (datasheet §4.6.3.2, ixy's `reset_and_init` first half): mask interrupts,
    /// CTRL.RST|LRST, wait for the self-clearing bits, 10 ms, mask again, then wait for the EEPROM
    /// auto-read (EEC.ARD) and DMA initialisation (RDRXCTL.DMAIDONE). Reads the MAC address and
    /// clears the statistics. Forgets queues and SR-IOV state; VFs must be enabled again.
    public func reset(timeout: VirtualDuration = .milliseconds(100)) throws(IxgbeDriverError) {
        stopMailboxService()
        write(R.EIMC.offset, UInt32(truncatingIfNeeded: R.EIMC.mask.mask))
        write(R.CTRL.offset, UInt32(truncatingIfNeeded: R.CTRL.resetField.mask | R.CTRL.linkReset.mask))
        let resetBits = R.CTRL.resetField.mask | R.CTRL.linkReset.mask
        guard access.ixgbePoll(bar, R.CTRL.offset, timeout: timeout, until: { UInt64($0) & resetBits == 0 }) else {
            throw .resetTimeout("CTRL.RST clear")
        }
        access.sleep(.milliseconds(10))
        write(R.EIMC.offset, UInt32(truncatingIfNeeded: R.EIMC.mask.mask))
        guard access.ixgbePoll(bar, R.EEC.offset, timeout: timeout, until: { R.EEC.autoReadDone.isSet(in: $0) }) else {
            throw .resetTimeout("EEC.ARD")
        }
        guard access.ixgbePoll(bar, R.RDRXCTL.offset, timeout: timeout, until: { R.RDRXCTL.dmaInitDone.isSet(in: $0) }) else {
            throw .resetTimeout("RDRXCTL.DMAIDONE")
        }
        macAddress = readReceiveAddress(0)
        rxRings = []
        txRings = []
        pool = nil
        queueBase = 0
        vfCount = 0
        vfAddresses = []
        vfs = []
        _ = statistics()
        portStatistics = IxgbePFStatistics()
    }

    /// Whether the link is up (LINKS.LinkUp).
    public var linkUp: Bool { R.LINKS.linkUp.isSet(in: read(R.LINKS.offset)) }

    /// Waits for the link: if it is down, selects 10G serial link mode and restarts
    /// auto-negotiation (AUTOC), then polls LINKS every millisecond until `timeout`.
    public func waitForLink(timeout: VirtualDuration = .seconds(1)) -> Bool {
        if linkUp { return true }
        var autoc = read(R.AUTOC.offset)
        autoc = R.AUTOC.linkModeSelect.insert(3, into: autoc)
        write(R.AUTOC.offset, autoc)
        write(R.AUTOC.offset, R.AUTOC.restartAN.insert(1, into: autoc))
        return access.ixgbePoll(bar, R.LINKS.offset, timeout: timeout, step: .milliseconds(1)) { R.LINKS.linkUp.isSet(in: $0) }
    }
}
