import Network
import PCIe
import RegisterModel

/// The Elastic Network Adapter behind its PCI function: BAR0 registers, the admin, completion
/// and asynchronous event queues, IO queues in host memory or in the LLQ BAR, and the wire port
/// behind the Nitro allowances.
///
/// Everything runs synchronously on the guest's MMIO write: an admin doorbell runs the posted
/// commands, a Tx doorbell sends the posted packets, a frame from the wire lands in a receive
/// queue before `Wire.transmitToPort` returns. Time-driven behaviour (keep-alive events, interrupt
/// moderation, frames waiting for an allowance) runs on the shared `VirtualClock`. Every value a
/// guest controls is checked where it is used: bad commands complete with an ENA admin status,
/// bad descriptors drop the packet and count it, bad doorbells are ignored; each is a recorded
/// guest error and the device goes on. Only what makes the device unable to report (an admin
/// queue it cannot read or write) sets DEV_STS.FATAL_ERROR, which a DEV_CTL reset clears.
public final class ENADevice: PCIDeviceModel {
    typealias R = ENARegisters

    /// What the device was built from.
    public let configuration: ENAConfiguration
    /// What the device has done since it was built.
    @exclusivity(unchecked) public internal(set) var counters = ENACounters()
    /// Packets shaped by the Nitro allowances (GET_STATS ENI reports these).
    @exclusivity(unchecked) public internal(set) var allowanceCounters = ENAAllowanceCounters()
    /// The reason the driver gave with its last DEV_CTL reset (raw value, reasons above 20 kept as given).
    public internal(set) var lastResetReason: UInt8?
    /// The host information the driver gave with SET_FEATURE HOST_ATTR_CONFIG, if any.
    public internal(set) var hostInfo: ENAHostInfo?
    /// Where transmitted frames go (nil: no cable; frames are counted and dropped).
    public let wire: Wire?
    /// Link state reported by LINK_CHANGE events; a down link drops traffic both ways.
    @exclusivity(unchecked) public private(set) var linkUp = true
    /// When false the device stops sending keep-alive events (a hung device, for watchdog tests).
    public var keepAliveEnabled = true

    /// The register file at reset values, built once per process (building one from the
    /// descriptors is most of a device's construction); each device starts from a copy.
    static let registersAtReset = RegisterFile(ENARegisters.block)
    @exclusivity(unchecked) var registers = ENADevice.registersAtReset
    let queues: IOQueueTable
    @exclusivity(unchecked) var admin = AdminQueueState()
    @exclusivity(unchecked) var events = EventQueueState()
    @exclusivity(unchecked) var backlog = EventBacklog()
    @exclusivity(unchecked) var features: FeatureState
    @exclusivity(unchecked) var hints: ENAHardwareHints
    /// Tx SQs, Rx SQs and LLQ regions in use.
    @exclusivity(unchecked) var transmitQueueCount = 0
    @exclusivity(unchecked) var receiveQueueCount = 0
    @exclusivity(unchecked) var llqSlotsInUse: UInt64 = 0
    /// DEV_STS says READY without FATAL_ERROR (see `operational`).
    @exclusivity(unchecked) var isOperational = false
    /// Admin completions posted while INTR_MASK masked them.
    @exclusivity(unchecked) var adminInterruptPending = false
    /// Bumped by every reset so timers of an earlier life do nothing.
    @exclusivity(unchecked) var generation: UInt64 = 0
    let llq: LowLatencyMemory
    let shaper: AllowanceShaper
    /// Gather buffer for one transmitted frame.
    let frameScratch: UnsafeMutableRawBufferPointer
    /// The Rx descriptors and buffer pointers of the frame being received.
    let rxDescriptors: UnsafeMutablePointer<ENARxDescriptor>
    let rxBuffers: UnsafeMutablePointer<UnsafeMutableRawPointer?>
    /// The burst of simple Tx packets being gathered (see `transmitHost`): each frame where it
    /// lies in guest memory, and its completion record (`TxBurst`).
    let burstFrames: UnsafeMutablePointer<UnsafeRawBufferPointer>
    let burstRecords: UnsafeMutablePointer<UInt64>
    /// Bytes of the burst's frames so far (added as packets are taken, cleared when it is sent).
    @exclusivity(unchecked) var burstBytes: UInt64 = 0
    /// A burst is on the wire: a doorbell rung from a far end meanwhile (re-entrantly) sends its
    /// packets one at a time, leaving the burst's storage to the burst.
    @exclusivity(unchecked) var sendingBurst = false
    /// Test seam: false sends and receives every frame on its own (the general path), so tests
    /// can hold the burst paths against it. The device's behaviour is the same either way.
    @_spi(BurstPaths) @exclusivity(unchecked) public var takesBursts = true
    /// LLQ frames of the burst, copied out of their entries (``TxBurst/scratchStride`` each).
    let burstScratch: UnsafeMutableRawPointer
    let dma: DMAPort
    let msix: MSIXController?
    let clock: VirtualClock
    let report: (GuestErrorKind, String) -> Void
    /// What timers hold instead of weak references (see `LifetimeTarget`).
    let lifetime = LifetimeTarget<ENADevice>()
    /// The port's end of the wire, which the wire holds.
    let wirePort = ENAWirePort()

    /// Creates the model for `function`; frames leaving the port go to `wire`.
    init(function: PCIFunction, configuration: ENAConfiguration, wire: Wire?) {
        self.configuration = configuration
        self.wire = wire
        queues = IOQueueTable(count: 2 * configuration.queuePairs)
        features = FeatureState(configuration)
        hints = configuration.hints
        llq = LowLatencyMemory(size: Int(ENA.llqBARSize))
        shaper = AllowanceShaper(configuration.allowances, frameCapacity: ENAConfiguration.maxFrameLength(mtu: 9216))
        frameScratch = .allocate(byteCount: 16 * 1024, alignment: 64)
        frameScratch.initializeMemory(as: UInt8.self, repeating: 0)
        rxDescriptors = .allocate(capacity: configuration.maxRxDescriptorsPerPacket)
        rxDescriptors.initialize(
            repeating: ENARxDescriptor(length: 0, address: 0, requestID: 0, phase: false),
            count: configuration.maxRxDescriptorsPerPacket)
        rxBuffers = .allocate(capacity: configuration.maxRxDescriptorsPerPacket)
        rxBuffers.initialize(repeating: nil, count: configuration.maxRxDescriptorsPerPacket)
        burstFrames = .allocate(capacity: TxBurst.capacity)
        burstFrames.initialize(repeating: UnsafeRawBufferPointer(start: nil, count: 0), count: TxBurst.capacity)
        burstRecords = .allocate(capacity: TxBurst.capacity)
        burstRecords.initialize(repeating: 0, count: TxBurst.capacity)
        burstScratch = .allocate(byteCount: TxBurst.capacity * TxBurst.scratchStride, alignment: 64)
        burstScratch.initializeMemory(as: UInt8.self, repeating: 0, count: TxBurst.capacity * TxBurst.scratchStride)
        dma = function.dma
        msix = function.msix
        clock = function.services.clock
        report = { [unowned function] kind, detail in function.recordGuestError(kind, detail) }
        lifetime.object = self
        wirePort.device = .passUnretained(self)
        wire?.connectPort(wirePort)
        powerOnReset()
        scheduleKeepAlive()
    }

    deinit {
        lifetime.object = nil
        wirePort.device = nil
        frameScratch.deallocate()
        rxDescriptors.deallocate()
        rxBuffers.deallocate()
        burstFrames.deallocate()
        burstRecords.deallocate()
        burstScratch.deallocate()
    }

    // MARK: Host-side API

    /// DEV_STS.READY.
    public var isReady: Bool { R.DEV_STS.ready.isSet(in: registers.value(at: R.DEV_STS.offset)) }
    /// DEV_STS.FATAL_ERROR.
    public var isFatal: Bool { R.DEV_STS.fatalError.isSet(in: registers.value(at: R.DEV_STS.offset)) }
    /// The MTU in force (SET_FEATURE MTU).
    public var mtu: Int { features.mtu }
    /// The hints in force.
    public var hardwareHints: ENAHardwareHints { hints }

    /// Changes the link state and reports it with a LINK_CHANGE event.
    public func setLink(up: Bool) {
        linkUp = up
        postLinkChange()
    }

    /// The device asks the driver to reset it (DEVICE_REQUEST_RESET event).
    public func requestReset() {
        post(AsyncEvent(group: .deviceRequestReset, syndrome: 0))
    }

    /// New hints: HW_HINTS reports them and a NOTIFICATION (UPDATE_HINTS) event carries them.
    public func updateHints(_ newHints: ENAHardwareHints) {
        hints = newHints
        var event = AsyncEvent(group: .notification, syndrome: ENANotificationSyndrome.updateHints.rawValue)
        newHints.store(into: &event.entry, at: AsyncEvent.dataOffset)
        post(event)
    }

    /// A device-side failure: DEV_STS.FATAL_ERROR is set and the device stops serving until the
    /// driver resets it.
    public func raiseFatalError(_ why: String) { deviceFatal(why) }

    // MARK: PCIDeviceModel

    public func barRead(_ bar: BARIndex, offset: UInt64, width: AccessWidth) -> UInt64 {
        if bar == ENA.llqBAR { return llq.read(offset: Int(truncatingIfNeeded: offset), width: width.rawValue) }
        guard bar == ENA.registerBAR else { return 0 }
        guard let v = registers.guestRead(Int(truncatingIfNeeded: offset), width: width.rawValue) else {
            report(.badMMIOAccess, "\(width.rawValue)-byte read of BAR0+0x\(hex(offset)): no register there")
            return 0
        }
        return v
    }

    /// LLQ entries arrive as write-combined bursts (the driver copies each entry into the BAR);
    /// they are stored in one copy. Bursts into the register BAR are the writes they are made of.
    public func barWriteCombined(_ bar: BARIndex, offset: UInt64, bytes: UnsafeRawBufferPointer) {
        guard bar == ENA.llqBAR else { return writeAsSeparateAccesses(bar, offset: offset, bytes: bytes) }
        llq.write(offset: Int(truncatingIfNeeded: offset), bytes: bytes)
    }

    public func barWrite(_ bar: BARIndex, offset: UInt64, width: AccessWidth, value: UInt64) {
        if bar == ENA.llqBAR {
            llqWritten(offset: Int(truncatingIfNeeded: offset), width: width.rawValue, value: value)
            return
        }
        guard bar == ENA.registerBAR else {
            report(.badMMIOAccess, "write of \(bar)+0x\(hex(offset)) outside the MSI-X table and PBA; dropped")
            return
        }
        let o = Int(truncatingIfNeeded: offset)
        if o >= R.SQ_DB.offset {
            queueRegisterWritten(o, width: width, value: UInt32(truncatingIfNeeded: value))
            return
        }
        let before = registers.value(at: R.DEV_CTL.offset)
        guard let register = registers.guestWrite(o, width: width.rawValue, value: value) else {
            report(.badMMIOAccess, "\(width.rawValue)-byte write of BAR0+0x\(hex(offset)): no register there; dropped")
            return
        }
        switch register {
        case R.AQ_DB.offset: adminDoorbellWritten()
        case R.AQ_BASE_LO.offset, R.AQ_BASE_HI.offset, R.AQ_CAPS.offset, R.ACQ_BASE_LO.offset, R.ACQ_BASE_HI.offset,
            R.ACQ_CAPS.offset:
            admin.configured = false
        case R.AENQ_CAPS.offset, R.AENQ_BASE_LO.offset, R.AENQ_BASE_HI.offset: eventQueueConfigured()
        case R.AENQ_HEAD_DB.offset: eventHeadWritten()
        case R.DEV_CTL.offset: deviceControlWritten(previous: before)
        case R.MMIO_REG_READ.offset: readlessReadRequested()
        case R.RSS_IND_ENTRY_UPDATE.offset: indirectionEntryWritten()
        case R.INTR_MASK.offset: adminInterruptMaskWritten()
        default: break
        }
    }

    public func reset(_ kind: ResetKind) { powerOnReset() }

    /// SQ doorbells and CQ interrupt registers (the arrays at 0x1000 and 0x1100).
    @inline(__always)
    private func queueRegisterWritten(_ offset: Int, width: AccessWidth, value: UInt32) {
        let index = (offset - R.SQ_DB.offset) >> 2
        guard width == .dword, offset & 3 == 0, index < 2 * R.SQ_DB.count else {
            report(.badMMIOAccess, "\(width.rawValue)-byte write of BAR0+0x\(hex(offset)): not a queue register; dropped")
            return
        }
        if index < R.SQ_DB.count {
            submissionDoorbellWritten(index, tail: UInt16(truncatingIfNeeded: value))
        } else {
            interruptRegisterWritten(index - R.SQ_DB.count, value: value)
        }
    }
}

/// The port's end of the wire: frames from the far side enter the receive path (nothing once
/// the device is gone).
///
/// The device is held `Unmanaged` and cleared by the device's `deinit`, so a frame takes no
/// retain, release or dynamic exclusivity check on its way in (a `LifetimeTarget` read does
/// both). The device is owned by its PCI function, which a received frame never detaches.
final class ENAWirePort: FrameSink {
    @exclusivity(unchecked) var device: Unmanaged<ENADevice>?
    func receive(_ frame: UnsafeRawBufferPointer) { device?._withUnsafeGuaranteedRef { $0.receiveFromWire(frame) } }
    func receive(batch frames: UnsafeBufferPointer<UnsafeRawBufferPointer>) {
        device?._withUnsafeGuaranteedRef { $0.receiveBatchFromWire(frames) }
    }
}
