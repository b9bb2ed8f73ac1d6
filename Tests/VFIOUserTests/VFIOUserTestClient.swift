import CVFIOUser
import Foundation
import PCIe
import Testing
import VFIOUser

/// A vfio-user client for tests: it talks to a ``VFIOUserEndpoint`` through a real AF_UNIX
/// socket pair (so descriptors travel as SCM_RIGHTS), with its "guest RAM" in a memfd it maps
/// for DMA, and eventfds for every MSI-X vector. It is a ``DeviceAccess``, so the reference
/// drivers run through it unchanged, as a guest kernel would drive the function over QEMU.
final class VFIOUserTestClient: DeviceAccess {
    let endpoint: VFIOUserEndpoint
    let bdf: BDF
    let clock: VirtualClock
    private let clientSocket: Int32
    private let serverSocket: Int32
    private var nextID: UInt16 = 0
    /// Guest RAM shared with the server.
    let ramFD: Int32
    let ram: UnsafeMutableRawPointer
    let ramSize: Int
    /// DMA address of the first byte of RAM.
    let ramBase: UInt64 = 0x4000_0000
    private var nextFree = 0
    /// One eventfd per MSI-X vector.
    private(set) var vectorFDs: [Int32] = []

    init(endpoint: VFIOUserEndpoint, clock: VirtualClock, ramSize: Int = 8 << 20) {
        self.endpoint = endpoint
        self.bdf = endpoint.function.bdf
        self.clock = clock
        var pair: [Int32] = [-1, -1]
        _ = dbvu_socketpair(&pair)
        clientSocket = pair[0]
        serverSocket = pair[1]
        self.ramSize = ramSize
        ramFD = dbvu_memfd_create("guest-ram", UInt64(ramSize))
        ram = mmap(nil, ramSize, PROT_READ | PROT_WRITE, MAP_SHARED, ramFD, 0)
    }

    deinit {
        for fd in vectorFDs { close(fd) }
        munmap(ram, ramSize)
        close(ramFD)
        close(clientSocket)
        close(serverSocket)
    }

    /// Sends one command and lets the endpoint answer it; returns the reply (nil: none sent).
    func call(_ command: VFIOUser.Command, _ payload: [UInt8], fds: [Int32] = [], flags: UInt32 = 0) -> (
        header: VFIOUserHeader, payload: [UInt8]
    )? {
        callRaw(command.rawValue, payload, fds: fds, flags: flags)
    }

    func callRaw(_ command: UInt16, _ payload: [UInt8], fds: [Int32] = [], flags: UInt32 = 0) -> (
        header: VFIOUserHeader, payload: [UInt8]
    )? {
        nextID &+= 1
        var bytes: [UInt8] = []
        VFIOUserHeader(id: nextID, command: command, size: UInt32(16 + payload.count), flags: flags).encode(into: &bytes)
        bytes.append(contentsOf: payload)
        let sent = bytes.withUnsafeBytes { b in
            fds.withUnsafeBufferPointer { f in dbvu_send(clientSocket, b.baseAddress, b.count, f.baseAddress, Int32(f.count)) }
        }
        guard sent == bytes.count else {
            // A failed send fails the calling test (with errno) instead of stopping the whole run.
            Issue.record("sendmsg of \(bytes.count) bytes returned \(sent), errno \(errno)")
            return nil
        }
        let server = VFIOUserConnection(socket: serverSocket)
        guard case .success(let message) = server.receive() else { return nil }
        guard let reply = endpoint.handle(message.header, payload: message.payload, fileDescriptors: message.fileDescriptors)
        else { return nil }
        _ = server.send(reply)
        guard case .success(let answer) = VFIOUserConnection(socket: clientSocket).receive() else { return nil }
        return (answer.header, answer.payload)
    }

    /// VERSION, DMA_MAP of all RAM, eventfds for every MSI-X vector.
    func connect() {
        let caps = Array("{\"capabilities\":{\"max_msg_fds\":16}}".utf8) + [0]
        _ = call(.version, le(UInt16(0)) + le(UInt16(0)) + caps)
        let map = le(UInt32(32)) + le(UInt32(3)) + le(UInt64(0)) + le(ramBase) + le(UInt64(ramSize))
        _ = call(.dmaMap, map, fds: [ramFD])
        let vectors = irqCount(VFIOUser.IRQ.msix)
        vectorFDs = (0..<vectors).map { _ in dbvu_eventfd_create() }
        let set =
            le(UInt32(20)) + le(VFIOUser.IRQSetFlags.dataEventFD | VFIOUser.IRQSetFlags.actionTrigger)
            + le(VFIOUser.IRQ.msix) + le(UInt32(0)) + le(UInt32(vectors))
        _ = call(.deviceSetIRQs, set, fds: vectorFDs)
    }

    func irqCount(_ index: UInt32) -> Int {
        guard let r = call(.deviceGetIRQInfo, le(UInt32(16)) + le(UInt32(0)) + le(index) + le(UInt32(0))), r.payload.count == 16
        else { return 0 }
        return Int(r.payload[12]) | Int(r.payload[13]) << 8
    }

    func read(region: UInt32, offset: UInt64, count: Int) -> [UInt8]? {
        guard let r = call(.regionRead, le(offset) + le(region) + le(UInt32(count))),
            r.header.flags & VFIOUser.Flags.error == 0, r.payload.count == 16 + count
        else { return nil }
        return Array(r.payload[16...])
    }

    @discardableResult
    func write(region: UInt32, offset: UInt64, _ data: [UInt8]) -> Bool {
        guard let r = call(.regionWrite, le(offset) + le(region) + le(UInt32(data.count)) + data) else { return false }
        return r.header.flags & VFIOUser.Flags.error == 0
    }

    // MARK: DeviceAccess

    func configRead(_ offset: ConfigOffset, width: AccessWidth) -> UInt32 {
        UInt32(
            truncatingIfNeeded: value(read(region: VFIOUser.Region.config, offset: UInt64(offset.value), count: width.rawValue)))
    }

    func configWrite(_ offset: ConfigOffset, width: AccessWidth, value: UInt32) {
        write(region: VFIOUser.Region.config, offset: UInt64(offset.value), bytes(UInt64(value), width.rawValue))
    }

    func barRead(_ bar: BARIndex, offset: UInt64, width: AccessWidth) -> UInt64 {
        value(read(region: UInt32(bar.value), offset: offset, count: width.rawValue))
    }

    func barWrite(_ bar: BARIndex, offset: UInt64, width: AccessWidth, value: UInt64) {
        write(region: UInt32(bar.value), offset: offset, bytes(value, width.rawValue))
    }

    func allocateDMA(_ size: Int) throws(DMAAllocationError) -> DMABuffer {
        let rounded = (size + 4095) & ~4095
        guard size > 0, nextFree + rounded <= ramSize else { throw .invalidSize(size) }
        defer { nextFree += rounded }
        return DMABuffer(
            host: UnsafeMutableRawBufferPointer(start: ram + nextFree, count: size),
            deviceAddress: IOVA(ramBase + UInt64(nextFree)))
    }

    func waitForInterrupt(vector: Int, timeout: VirtualDuration) -> Bool {
        guard vector >= 0, vector < vectorFDs.count else {
            clock.advance(by: timeout)
            return false
        }
        let deadline = clock.now.advanced(by: timeout)
        while true {
            if dbvu_eventfd_drain(vectorFDs[vector]) > 0 { return true }
            guard let next = clock.nextDeadline, next <= deadline else { break }
            clock.runNextTimer()
        }
        clock.advance(to: deadline)
        return dbvu_eventfd_drain(vectorFDs[vector]) > 0
    }

    private func value(_ bytes: [UInt8]?) -> UInt64 {
        guard let bytes else { return ~0 }
        return bytes.enumerated().reduce(0) { $0 | UInt64($1.element) << UInt64(8 * $1.offset) }
    }

    private func bytes(_ value: UInt64, _ count: Int) -> [UInt8] {
        (0..<count).map { UInt8(truncatingIfNeeded: value >> UInt64(8 * $0)) }
    }
}

/// Little-endian bytes of an integer.
func le<T: FixedWidthInteger>(_ value: T) -> [UInt8] {
    withUnsafeBytes(of: value.littleEndian) { Array($0) }
}
