import Intel82599
import Network
import PCIe
import RegisterModel

/// Reference driver for an Intel 82599 virtual function (ixgbevf-like), written only against
/// ``DeviceAccess`` and the generated register tables.
///
/// ``start()`` resets the VF (VFCTRL.RST, wait for RSTD), learns its MAC address from the PF
/// (mailbox RESET), negotiates the mailbox API (1.4 down to 1.0), asks for its queues
/// (GET_QUEUES) and brings up one receive and one transmit ring per queue. Packet I/O is ixy's:
/// a ``PacketBufferPool`` and batched ``receiveBatch(queue:into:)`` /
/// ``transmitBatch(queue:_:)`` that touch the tail register once per batch and never allocate.
public final class IxgbeVFDriver<Access: DeviceAccess> {
    typealias V = Intel82599VFRegisters

    /// Tunables of the VF driver.
    public struct Configuration: Sendable {
        /// Descriptors per ring (a power of two, 8...4096).
        public var ringSize: Int
        /// Buffers in the pool; nil sizes it for every ring plus one ring of spare buffers.
        public var bufferCount: Int?
        /// Buffer size in bytes (multiple of 1 KiB; SRRCTL.BSIZEPACKET).
        public var bufferSize: Int
        /// Use MSI-X receive interrupts in ``IxgbeVFDriver/waitForReceive(queue:timeout:)``.
        public var interrupts: Bool
        /// How long to wait for the PF's answer to a mailbox request.
        public var mailboxTimeout: VirtualDuration
        /// Mailbox and reset polling interval.
        public var pollInterval: VirtualDuration

        /// A configuration; defaults suit tests and the bench.
        public init(
            ringSize: Int = 256, bufferCount: Int? = nil, bufferSize: Int = 2048, interrupts: Bool = false,
            mailboxTimeout: VirtualDuration = .seconds(1), pollInterval: VirtualDuration = .microseconds(50)
        ) {
            self.ringSize = ringSize
            self.bufferCount = bufferCount
            self.bufferSize = bufferSize
            self.interrupts = interrupts
            self.mailboxTimeout = mailboxTimeout
            self.pollInterval = pollInterval
        }
    }

    /// The VF.
    public let access: Access
    /// Settings.
    public let configuration: Configuration
    /// BAR0, the VF's register BAR.
    @usableFromInline let bar = BARIndex(clamping: 0)

    /// The address the PF assigned (RESET reply) or the driver set.
    public internal(set) var macAddress: MACAddress?
    /// The negotiated mailbox API.
    public internal(set) var api: IxgbeMailboxAPI?
    /// Multicast filter type from the RESET reply (MCSTCTRL.MO), for MTA hashes.
    public internal(set) var multicastFilterType: UInt32 = 0
    /// Whether the PF inserts and strips a port VLAN (GET_QUEUES).
    public internal(set) var transparentVLAN = false
    /// The default queue (GET_QUEUES).
    public internal(set) var defaultQueue = 0
    /// The last reply said the VF is clear to send.
    public internal(set) var clearToSend = false
    /// ``start()`` completed.
    public internal(set) var isStarted = false
    /// Multicast addresses registered with the PF.
    public internal(set) var multicastAddresses: [MACAddress] = []
    /// Read-to-clear VFMAILBOX bits seen and not consumed yet (PFSTS, PFACK, RSTD).
    var mailboxBits: UInt32 = 0
    /// Counters since the first start.
    var counters: IxgbeVFCounters?

    @exclusivity(unchecked) @usableFromInline var rxRings: [IxgbeRxRing] = []
    @exclusivity(unchecked) @usableFromInline var txRings: [IxgbeTxRing] = []
    /// The packet buffers (nil before ``start()``).
    @exclusivity(unchecked) public internal(set) var pool: PacketBufferPool?

    /// Binds to a VF. VFs read 0xffff as vendor and device id (SR-IOV §3.4.1.1), so such a
    /// function must show the Ethernet class code (an absent one reads all ones); anything else
    /// must be an Intel 82599 VF (8086:10ed or the Hyper-V variant 8086:152e).
    public init(access: Access, configuration: Configuration = Configuration()) throws(IxgbeDriverError) {
        let vendor = access.configRead16(ConfigOffset(PCIType0Header.VendorID.offset))
        let device = access.configRead16(ConfigOffset(PCIType0Header.DeviceID.offset))
        let classCode = access.configRead(ConfigOffset(PCIType0Header.RevisionID.offset), width: .dword) >> 8
        let asVF = vendor == 0xFFFF && device == 0xFFFF && classCode == 0x02_0000
        guard asVF || (vendor == 0x8086 && (device == 0x10ed || device == 0x152e)) else {
            throw .notFound(vendorID: vendor, deviceID: device)
        }
        let size = configuration.ringSize
        guard size >= 8, size <= 4096, size & (size - 1) == 0 else {
            throw .invalidConfiguration("ring size \(size) is not a power of two in 8...4096")
        }
        guard configuration.bufferSize >= 1024, configuration.bufferSize <= 16 * 1024, configuration.bufferSize % 1024 == 0 else {
            throw .invalidConfiguration("buffer size \(configuration.bufferSize) is not a multiple of 1 KiB up to 16 KiB")
        }
        self.access = access
        self.configuration = configuration
    }

    @inline(__always) func read(_ offset: Int) -> UInt32 { access.read32(bar, UInt64(offset)) }
    @inline(__always) func write(_ offset: Int, _ value: UInt32) { access.write32(bar, UInt64(offset), value) }

    /// Reads the register at `offset` (for inspection and tests).
    public func register(_ offset: Int) -> UInt32 { read(offset) }

    /// Receive queues in use.
    public var receiveQueueCount: Int { rxRings.count }
    /// Transmit queues in use.
    public var transmitQueueCount: Int { txRings.count }

    /// Whether the port's link is up (VFLINKS).
    public var linkUp: Bool { V.VFLINKS.linkUp.isSet(in: read(V.VFLINKS.offset)) }

    /// Resets the VF and brings it up (ixgbevf's `reset_hw_vf` + `negotiate_api` +
    /// `get_queues` + ring configuration). Call again after an FLR or a PF-side reset (a request
    /// failing with ``IxgbeDriverError/notClearToSend(_:)``). Buffers the caller still holds stay
    /// valid; buffers on the transmit rings return to the pool.
    public func start() throws(IxgbeDriverError) {
        isStarted = false
        clearToSend = false
        access.enableBusMaster()
        mailboxBits = 0
        _ = readMailbox()
        mailboxBits = 0
        write(V.VFCTRL.offset, UInt32(truncatingIfNeeded: V.VFCTRL.resetField.mask))
        let deadline = access.clock.now.advanced(by: configuration.mailboxTimeout)
        while true {
            let bits = readMailbox()
            if bits & UInt32(truncatingIfNeeded: V.VFMAILBOX.rstd.mask) != 0,
                bits & UInt32(truncatingIfNeeded: V.VFMAILBOX.rsti.mask) == 0
            {
                break
            }
            guard access.clock.now < deadline else { throw .resetTimeout("VFMAILBOX.RSTD") }
            access.sleep(configuration.pollInterval)
        }
        mailboxBits &= ~UInt32(truncatingIfNeeded: V.VFMAILBOX.rstd.mask)

        let reply = try exchange(IxgbeMailboxMessage(.reset))
        guard reply.id == .reset, reply.isAck || reply.isNack else { throw .unexpectedReply(reply) }
        multicastFilterType = reply[IxgbeMailboxLayout.multicastFilterTypeWord]
        clearToSend = true
        guard reply.isAck else {
            macAddress = nil
            throw .noMACAddress
        }
        macAddress = reply.macAddress
        try negotiateAPI()
        try getQueues()
        try setUpRings()
        if configuration.interrupts { enableInterrupts() }
        if counters == nil { counters = IxgbeVFCounters(readingFrom: self) }
        multicastAddresses = []
        isStarted = true
    }

    /// API_NEGOTIATE, newest version first.
    private func negotiateAPI() throws(IxgbeDriverError) {
        api = nil
        for candidate in IxgbeMailboxAPI.preferenceOrder {
            let reply = try exchange(IxgbeMailboxMessage(.apiNegotiate, payload: [candidate.rawValue, 0]))
            guard reply.id == .apiNegotiate else { throw .unexpectedReply(reply) }
            if reply.isAck {
                api = candidate
                return
            }
            if !reply.isClearToSend {
                clearToSend = false
                throw .notClearToSend(.apiNegotiate)
            }
        }
        throw .apiNegotiationFailed
    }

    /// GET_QUEUES (API 1.1+; one queue each before).
    private func getQueues() throws(IxgbeDriverError) {
        var rx = 1
        var tx = 1
        transparentVLAN = false
        defaultQueue = 0
        if let api, api.includes(.version11) {
            let reply = try transact(IxgbeMailboxMessage(.getQueues))
            tx = Int(reply[IxgbeMailboxLayout.transmitQueuesWord])
            rx = Int(reply[IxgbeMailboxLayout.receiveQueuesWord])
            transparentVLAN = reply[IxgbeMailboxLayout.transparentVLANWord] != 0
            defaultQueue = Int(reply[IxgbeMailboxLayout.defaultQueueWord])
            guard (1...V.VFRDBAL.count).contains(rx), (1...V.VFTDBAL.count).contains(tx), defaultQueue < rx else {
                throw .unexpectedReply(reply)
            }
        }
        if rxRings.count != rx || txRings.count != tx {
            if let pool { for r in rxRings { r.releaseBuffers(to: pool) } }
            if let pool { for r in txRings { r.releaseBuffers(to: pool) } }
            rxRings = []
            txRings = []
            do {
                for q in 0..<rx {
                    let memory = try access.allocateDMA(configuration.ringSize * IxgbeRxDescriptorLayout.size)
                    rxRings.append(IxgbeRxRing(registers: .vfReceive(q), descriptors: memory, entries: configuration.ringSize))
                }
                for q in 0..<tx {
                    let memory = try access.allocateDMA(configuration.ringSize * IxgbeTxDescriptorLayout.size)
                    txRings.append(IxgbeTxRing(registers: .vfTransmit(q), descriptors: memory, entries: configuration.ringSize))
                }
            } catch {
                throw .allocation(error)
            }
        }
    }

    /// Pool (first start) and rings: RX rings filled and enabled, TX rings enabled.
    private func setUpRings() throws(IxgbeDriverError) {
        let needed = (rxRings.count + txRings.count + 1) * configuration.ringSize
        let count = configuration.bufferCount ?? needed
        if pool == nil {
            guard count >= rxRings.count * configuration.ringSize + 32 else {
                throw .invalidConfiguration("\(count) buffers cannot fill \(rxRings.count) rings of \(configuration.ringSize)")
            }
            do {
                pool = try PacketBufferPool(access: access, count: count, bufferSize: configuration.bufferSize)
            } catch {
                throw .allocation(error)
            }
        }
        guard let pool else { throw .notStarted }
        for ring in rxRings where !ring.start(access, bar: bar, pool: pool) {
            throw .queueEnableFailed(queue: ring.registers.queue, transmit: false)
        }
        for ring in txRings {
            ring.releaseBuffers(to: pool)
            guard ring.start(access, bar: bar) else { throw .queueEnableFailed(queue: ring.registers.queue, transmit: true) }
        }
    }
}
