@_spi(KeyInjection) import NVMe
import PCIe
import RegisterModel
import Testing

typealias R = NVMeRegisters

/// The EBS configuration most tests use: 1 MiB, 512-byte blocks, 2 I/O queue pairs, MDTS 128 KiB.
func ebsConfiguration(
    blockSize: Int = 512, capacity: UInt64 = 1 << 20, encrypted: Bool = false,
    backing: NVMeControllerConfiguration.Backing = .memory
) -> NVMeControllerConfiguration {
    NVMeControllerConfiguration(
        kind: .ebs(volumeID: "vol-0123456789abcdef0", blockDeviceName: "/dev/sdf"), capacityBytes: capacity,
        blockSize: blockSize, backing: backing, encrypted: encrypted, ioQueuePairs: 2, maximumTransferPages: 5)
}

/// An instance-storage configuration (always encrypted).
func instanceStoreConfiguration(blockSize: Int = 4096, capacity: UInt64 = 1 << 20) -> NVMeControllerConfiguration {
    NVMeControllerConfiguration(
        kind: .instanceStore(serial: "AWS1234567890ABCDEF0"), capacityBytes: capacity, blockSize: blockSize,
        ioQueuePairs: 2, maximumTransferPages: 5)
}

/// One NVMe controller on a bus, enumerated by firmware, driven at register level: the test writes
/// submission entries and reads completion entries itself (no driver in between).
final class NVMeBench {
    let bus = PCIBus()
    let function: PCIFunction
    let access: BusDeviceAccess
    let controller: NVMeController
    let bar = NVMe.registerBAR
    private(set) var admin: HostQueuePair?
    private(set) var ioQueues: [Int: HostQueuePair] = [:]
    private var nextCommandID: UInt16 = 1

    init(_ configuration: NVMeControllerConfiguration = ebsConfiguration()) throws {
        function = try NVMe.makeController(
            at: BDF(bus: 0, device: 4, function: 0), services: bus.services, configuration: configuration)
        try bus.attach(function)
        _ = Firmware(bus: bus).enumerateAndAssign()
        access = bus.access(function.bdf)
        let command = access.configRead(4, width: .word)
        access.configWrite(4, width: .word, value: command | 0x6)
        controller = try #require(function.model as? NVMeController)
    }

    var guestErrors: [GuestError] { bus.services.guestErrors.entries }

    func read32(_ offset: Int) -> UInt32 { access.read32(bar, UInt64(offset)) }
    func write32(_ offset: Int, _ value: UInt32) { access.write32(bar, UInt64(offset), value) }
    func read64(_ offset: Int) -> UInt64 { access.read64(bar, UInt64(offset)) }
    func write64(_ offset: Int, _ value: UInt64) { access.write64(bar, UInt64(offset), value) }
    var status: UInt32 { read32(R.CSTS.offset) }
    var ready: Bool { status & 1 != 0 }
    var fatal: Bool { status & 2 != 0 }

    /// Enables MSI-X with every vector unmasked.
    func enableMSIX() {
        let control = access.configRead(0xb2, width: .word)
        access.configWrite(0xb2, width: .word, value: control | 0x8000)
        for v in 0..<(function.msix?.vectorCount ?? 0) {
            access.write64(bar, UInt64(0x2000 + 16 * v), 0xfee0_0000)
            access.write32(bar, UInt64(0x2000 + 16 * v + 8), UInt32(0x40 + v))
            access.write32(bar, UInt64(0x2000 + 16 * v + 12), 0)
        }
    }

    /// Programs the admin queues and sets CC.EN (IOSQES 6, IOCQES 4 unless told).
    @discardableResult
    func enable(entries: Int = 16, cc: UInt32 = 0x0046_0001) throws -> HostQueuePair {
        let q = try HostQueuePair(access: access, id: 0, entries: entries)
        write32(R.AQA.offset, UInt32(entries - 1) << 16 | UInt32(entries - 1))
        write64(R.ASQ.offset, q.sq.deviceAddress.value)
        write64(R.ACQ.offset, q.cq.deviceAddress.value)
        write32(R.CC.offset, cc)
        admin = q
        return q
    }

    /// Clears CC.EN (controller reset).
    func disable() {
        write32(R.CC.offset, read32(R.CC.offset) & ~1)
        admin = nil
        ioQueues = [:]
    }

    /// A fresh command identifier.
    func commandID() -> UInt16 {
        defer { nextCommandID &+= 1 }
        return nextCommandID
    }

    /// Posts `entry` to queue `qid`, rings its doorbell and returns the completion if one arrived.
    @discardableResult
    func submit(_ entry: SubmissionEntry, queue qid: Int = 0) throws -> CompletionEntry {
        let q = try #require(qid == 0 ? admin : ioQueues[qid])
        q.post(entry)
        write32(0x1000 + 8 * qid, UInt32(q.sqTail))
        let all = q.reap()
        write32(0x1000 + 8 * qid + 4, UInt32(q.cqHead))
        let mine = try #require(
            all.firstIndex { $0.commandID == entry.commandID }, "no completion for opcode 0x\(String(entry.opcode, radix: 16))")
        q.unclaimed += all[..<mine] + all[(mine + 1)...]
        return all[mine]
    }

    /// Runs an admin command with the given fields; returns its completion.
    @discardableResult
    func adminCommand(
        _ opcode: AdminOpcode, nsid: UInt32 = 0, cdw10: UInt32 = 0, cdw11: UInt32 = 0, cdw12: UInt32 = 0,
        cdw13: UInt32 = 0, prp1: UInt64 = 0, prp2: UInt64 = 0
    ) throws -> CompletionEntry {
        var e = SubmissionEntry()
        e.setHeader(opcode: opcode.rawValue, commandID: commandID())
        e[dword: 1] = nsid
        e.setPRPs(prp1, prp2)
        e[dword: 10] = cdw10
        e[dword: 11] = cdw11
        e[dword: 12] = cdw12
        e[dword: 13] = cdw13
        return try submit(e)
    }

    /// Reads a 4 KiB admin data structure (Identify, log page) into a fresh buffer.
    func adminData(_ opcode: AdminOpcode, nsid: UInt32 = 0, cdw10: UInt32, cdw11: UInt32 = 0, cdw12: UInt32 = 0) throws -> (
        CompletionEntry, [UInt8]
    ) {
        let buffer = try access.allocateDMA(8192)
        let c = try adminCommand(
            opcode, nsid: nsid, cdw10: cdw10, cdw11: cdw11, cdw12: cdw12, prp1: buffer.deviceAddress.value,
            prp2: buffer.deviceAddress(at: 4096).value)
        return (c, Array(buffer.host[0..<4096]))
    }

    /// Creates I/O CQ and SQ `qid` with `entries` entries, interrupts on vector `vector`.
    @discardableResult
    func createIOQueuePair(_ qid: Int, entries: Int = 16, vector: Int? = nil) throws -> HostQueuePair {
        let q = try HostQueuePair(access: access, id: qid, entries: entries)
        let v = UInt32(vector ?? qid)
        let cq = try adminCommand(
            .createIOCQ, cdw10: UInt32(entries - 1) << 16 | UInt32(qid), cdw11: v << 16 | 0x3, prp1: q.cq.deviceAddress.value)
        #expect(cq.status == .success)
        let sq = try adminCommand(
            .createIOSQ, cdw10: UInt32(entries - 1) << 16 | UInt32(qid), cdw11: UInt32(qid) << 16 | 0x1,
            prp1: q.sq.deviceAddress.value)
        #expect(sq.status == .success)
        ioQueues[qid] = q
        return q
    }

    /// Enables the controller with MSI-X and one I/O queue pair (queue 1).
    static func ready(_ configuration: NVMeControllerConfiguration = ebsConfiguration()) throws -> NVMeBench {
        let t = try NVMeBench(configuration)
        t.enableMSIX()
        try t.enable()
        #expect(t.ready)
        try t.createIOQueuePair(1)
        return t
    }

    /// An NVM command on I/O queue `queue`.
    @discardableResult
    func io(
        _ opcode: NVMOpcode, nsid: UInt32 = 1, slba: UInt64 = 0, blocks: Int = 1, prp1: UInt64 = 0, prp2: UInt64 = 0,
        cdw10: UInt32? = nil, cdw11: UInt32? = nil, cdw12: UInt32? = nil, psdt: UInt8 = 0, queue: Int = 1
    ) throws -> CompletionEntry {
        var e = SubmissionEntry()
        e.setHeader(opcode: opcode.rawValue, commandID: commandID(), psdt: psdt)
        e[dword: 1] = nsid
        e.setPRPs(prp1, prp2)
        e[dword: 10] = cdw10 ?? UInt32(truncatingIfNeeded: slba)
        e[dword: 11] = cdw11 ?? UInt32(truncatingIfNeeded: slba >> 32)
        e[dword: 12] = cdw12 ?? UInt32(blocks - 1)
        return try submit(e, queue: queue)
    }

    /// Writes `data` at `slba` through a fresh page-aligned buffer.
    func write(_ data: [UInt8], at slba: UInt64) throws -> NVMeStatus {
        let buffer = try access.allocateDMA(max(data.count, 4096))
        buffer.host.copyBytes(from: data)
        let (p1, p2) = try prps(buffer, count: data.count)
        return try io(.write, slba: slba, blocks: data.count / controller.blockSize, prp1: p1, prp2: p2).status
    }

    /// Reads `blocks` blocks at `slba`.
    func read(at slba: UInt64, blocks: Int) throws -> (NVMeStatus, [UInt8]) {
        let count = blocks * controller.blockSize
        let buffer = try access.allocateDMA(max(count, 4096))
        buffer.host.initializeMemory(as: UInt8.self, repeating: 0xEE)
        let (p1, p2) = try prps(buffer, count: count)
        let c = try io(.read, slba: slba, blocks: blocks, prp1: p1, prp2: p2)
        return (c.status, Array(buffer.host[0..<count]))
    }

    /// PRP1/PRP2 for a page-aligned buffer of `count` bytes (a PRP list after the data if needed).
    func prps(_ buffer: DMABuffer, count: Int) throws -> (UInt64, UInt64) {
        let pages = (count + 4095) / 4096
        if pages <= 1 { return (buffer.deviceAddress.value, 0) }
        if pages == 2 { return (buffer.deviceAddress.value, buffer.deviceAddress(at: 4096).value) }
        let list = try access.allocateDMA(4096)
        for i in 1..<pages {
            list.host.storeBytes(
                of: buffer.deviceAddress(at: 4096 * i).value.littleEndian, toByteOffset: 8 * (i - 1), as: UInt64.self)
        }
        return (buffer.deviceAddress.value, list.deviceAddress.value)
    }
}

/// A queue pair as a host sees it: SQ and CQ memory, the host's tail and head, the phase expected.
final class HostQueuePair {
    let id: Int
    let entries: Int
    let sq: DMABuffer
    let cq: DMABuffer
    private(set) var sqTail = 0
    private(set) var cqHead = 0
    private(set) var phase = true
    /// Completions reaped while waiting for another command (asynchronous events).
    var unclaimed: [CompletionEntry] = []

    init(access: BusDeviceAccess, id: Int, entries: Int) throws {
        self.id = id
        self.entries = entries
        sq = try access.allocateDMA(entries * 64)
        cq = try access.allocateDMA(entries * 16)
    }

    /// Writes `entry` at the tail and advances it (no doorbell).
    func post(_ entry: SubmissionEntry) {
        if let base = sq.host.baseAddress { entry.store(to: base + sqTail * 64) }
        sqTail = (sqTail + 1) % entries
    }

    /// Completions whose phase matches, in order; advances the head (no doorbell).
    func reap() -> [CompletionEntry] {
        var out: [CompletionEntry] = []
        guard let base = cq.host.baseAddress else { return out }
        while true {
            let c = CompletionEntry(loadingFrom: base + cqHead * 16)
            guard c.phase == phase else { return out }
            out.append(c)
            cqHead += 1
            if cqHead == entries {
                cqHead = 0
                phase.toggle()
            }
        }
    }
}

extension SubmissionEntry {
    mutating func setPRPs(_ prp1: UInt64, _ prp2: UInt64) {
        self[dword: 6] = UInt32(truncatingIfNeeded: prp1)
        self[dword: 7] = UInt32(truncatingIfNeeded: prp1 >> 32)
        self[dword: 8] = UInt32(truncatingIfNeeded: prp2)
        self[dword: 9] = UInt32(truncatingIfNeeded: prp2 >> 32)
    }
}

/// A deterministic pattern of `count` bytes.
func pattern(_ count: Int, seed: UInt8) -> [UInt8] {
    (0..<count).map { UInt8(truncatingIfNeeded: $0 &* 31 &+ Int(seed) &* 7 &+ $0 >> 8) }
}

/// Little-endian integer of type `T` at `offset` in `bytes`.
func le<T: FixedWidthInteger>(_ bytes: [UInt8], _ offset: Int, as: T.Type = T.self) -> T {
    var v: T = 0
    for i in 0..<MemoryLayout<T>.size { v |= T(bytes[offset + i]) << (8 * i) }
    return v
}

/// ASCII text of `bytes[range]`.
func ascii(_ bytes: [UInt8], _ range: Range<Int>) -> String { String(decoding: bytes[range], as: UTF8.self) }
