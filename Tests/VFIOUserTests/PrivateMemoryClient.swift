import CVFIOUser
import Foundation
import VFIOUser

/// A vfio-user client whose guest RAM cannot be shared (QEMU without `share=on`): it maps
/// the RAM for DMA without a descriptor and serves the server's `DMA_READ` and `DMA_WRITE`
/// from a thread of its own, as QEMU's proxy does on its I/O thread. The test thread sends
/// requests and pumps the real ``VFIOUserServer`` until their replies arrive.
///
/// ``behaviour`` scripts how it answers the server, to check what an untrusted client can do.
final class PrivateMemoryClient: @unchecked Sendable {
    /// How the client answers the server's DMA requests.
    enum Behaviour {
        /// Correct replies from RAM.
        case normal
        /// A correct reply, after first sending a request of its own (REGION_READ of config
        /// dword 0, id 0x7777) in the middle of the server's wait.
        case interleave
        /// An error reply (EFAULT), as QEMU sends for an address outside guest memory.
        case refuse
        /// A reply with the wrong message id.
        case wrongID
        /// A DMA_READ reply one byte short.
        case shortReply
        /// No reply at all.
        case silent
        /// Closes the socket.
        case hangUp
    }

    let socket: Int32
    let ramBase: UInt64 = 0x8000_0000
    let ramSize = 1 << 20
    let ram: UnsafeMutableRawPointer
    private let condition = NSCondition()
    private var replies: [VFIOUserIncomingMessage] = []
    private var stopped = false
    /// Set by the I/O thread as it returns.
    private var finished = false
    private var nextID: UInt16 = 0
    /// Set before the server's first request arrives.
    var behaviour = Behaviour.normal
    /// Commands of the server's requests, in order.
    private(set) var served: [UInt16] = []
    /// An eventfd to check, at each DMA_WRITE, whether the interrupt already fired.
    var interruptFD: Int32 = -1
    /// Set when a DMA_WRITE arrived after the interrupt it belongs to.
    private(set) var interruptOvertookData = false

    init(path: String) {
        socket = dbvu_connect_unix(path)
        ram = UnsafeMutableRawPointer.allocate(byteCount: ramSize, alignment: 4096)
        ram.initializeMemory(as: UInt8.self, repeating: 0, count: ramSize)
        let thread = Thread { [self] in serve() }
        thread.start()
    }

    /// Stops the I/O thread and closes the socket, in that order: the descriptor's number is
    /// free for reuse once it is closed, and an I/O thread still polling it would then read
    /// another test's socket. Shutting the socket down first wakes a thread blocked in a read.
    func shutDown() {
        condition.lock()
        stopped = true
        condition.unlock()
        Foundation.shutdown(socket, Int32(SHUT_RDWR))
        condition.lock()
        while !finished { condition.wait() }
        condition.unlock()
        Foundation.close(socket)
    }

    deinit { ram.deallocate() }

    /// Sends a request; with `wait`, pumps `server` until the reply comes (nil after ~2 s).
    @discardableResult
    func call(
        _ command: VFIOUser.Command, _ payload: [UInt8], server: VFIOUserServer, flags: UInt32 = 0, wait: Bool = true
    ) -> VFIOUserIncomingMessage? {
        condition.lock()
        nextID &+= 1
        let id = nextID
        condition.unlock()
        var bytes: [UInt8] = []
        VFIOUserHeader(id: id, command: command.rawValue, size: UInt32(16 + payload.count), flags: flags).encode(into: &bytes)
        bytes += payload
        _ = bytes.withUnsafeBytes { dbvu_send(socket, $0.baseAddress, $0.count, nil, 0) }
        guard wait else { return nil }
        for _ in 0..<400 {
            server.pollOnce(timeoutMilliseconds: 5)
            if let reply = takeReply(id: id) { return reply }
        }
        return nil
    }

    /// Takes the reply with `id` if it arrived.
    func takeReply(id: UInt16) -> VFIOUserIncomingMessage? {
        condition.lock()
        defer { condition.unlock() }
        guard let i = replies.firstIndex(where: { $0.header.id == id }) else { return nil }
        return replies.remove(at: i)
    }

    /// VERSION, DMA_MAP of all RAM without a descriptor, `eventfds` for MSI-X vectors from 0,
    /// Bus Master Enable.
    func connect(_ server: VFIOUserServer, eventfds: [Int32]) {
        call(.version, le(UInt16(0)) + le(UInt16(0)) + Array("{\"capabilities\":{\"max_msg_fds\":8}}".utf8) + [0], server: server)
        call(.dmaMap, le(UInt32(32)) + le(UInt32(3)) + le(UInt64(0)) + le(ramBase) + le(UInt64(ramSize)), server: server)
        let set =
            le(UInt32(20)) + le(VFIOUser.IRQSetFlags.dataEventFD | VFIOUser.IRQSetFlags.actionTrigger) + le(VFIOUser.IRQ.msix)
            + le(UInt32(0)) + le(UInt32(eventfds.count))
        var bytes: [UInt8] = []
        nextID &+= 1
        VFIOUserHeader(id: nextID, command: 8, size: UInt32(16 + set.count), flags: 0).encode(into: &bytes)
        bytes += set
        _ = bytes.withUnsafeBytes { b in
            eventfds.withUnsafeBufferPointer { dbvu_send(socket, b.baseAddress, b.count, $0.baseAddress, Int32($0.count)) }
        }
        for _ in 0..<100 where takeReply(id: nextID) == nil { server.pollOnce(timeoutMilliseconds: 5) }
        writeRegion(7, offset: 4, le(UInt16(0x0006)), server: server)
    }

    /// A REGION_WRITE; posted (no reply), as QEMU sends BAR writes, unless `wait`.
    @discardableResult
    func writeRegion(_ region: UInt32, offset: UInt64, _ data: [UInt8], server: VFIOUserServer, posted: Bool = false)
        -> VFIOUserIncomingMessage?
    {
        call(
            .regionWrite, le(offset) + le(region) + le(UInt32(data.count)) + data, server: server,
            flags: posted ? VFIOUser.Flags.noReply : 0, wait: !posted)
    }

    // MARK: The I/O thread

    private func serve() {
        defer {
            condition.lock()
            finished = true
            condition.broadcast()
            condition.unlock()
        }
        while true {
            condition.lock()
            let stop = stopped
            condition.unlock()
            if stop { return }
            var p = pollfd(fd: socket, events: Int16(POLLIN), revents: 0)
            guard poll(&p, 1, 20) > 0 else { continue }
            guard case .success(let message) = VFIOUserConnection(socket: socket).receive() else {
                usleep(10_000)
                continue
            }
            if message.header.flags & VFIOUser.Flags.typeMask == VFIOUser.Flags.reply {
                condition.lock()
                replies.append(message)
                condition.unlock()
            } else {
                answer(message)
            }
        }
    }

    private func answer(_ request: VFIOUserIncomingMessage) {
        condition.lock()
        served.append(request.header.command)
        let behaviour = self.behaviour
        condition.unlock()
        var r = request.payload.makeIterator()
        func u64() -> UInt64 { (0..<8).reduce(UInt64(0)) { v, i in v | UInt64(r.next() ?? 0) << UInt64(8 * i) } }
        let address = u64()
        let count = u64()
        let offset = Int(address &- ramBase)
        let inRAM = address >= ramBase && count <= UInt64(ramSize) && offset <= ramSize - Int(count)
        var flags = VFIOUser.Flags.reply
        var error: UInt32 = 0
        var body = le(address) + le(count)
        if !inRAM || behaviour == .refuse {
            flags |= VFIOUser.Flags.error
            error = 14
            body = []
        } else if request.header.command == VFIOUser.Command.dmaRead.rawValue {
            body += Array(UnsafeRawBufferPointer(start: ram + offset, count: Int(count)))
            if behaviour == .shortReply { body.removeLast() }
        } else {
            if interruptFD >= 0 {
                var e = pollfd(fd: interruptFD, events: Int16(POLLIN), revents: 0)
                if poll(&e, 1, 0) > 0 { interruptOvertookData = true }
            }
            let data = Array(request.payload.dropFirst(16).prefix(Int(count)))
            data.withUnsafeBytes { bytes in
                guard let base = bytes.baseAddress else { return }
                (ram + offset).copyMemory(from: base, byteCount: bytes.count)
            }
            body = []
        }
        switch behaviour {
        case .silent: return
        case .hangUp:
            Foundation.shutdown(socket, Int32(SHUT_RDWR))
            return
        case .interleave:
            var extra: [UInt8] = []
            let read = le(UInt64(0)) + le(VFIOUser.Region.config) + le(UInt32(4))
            VFIOUserHeader(id: 0x7777, command: 9, size: UInt32(16 + read.count), flags: 0).encode(into: &extra)
            extra += read
            _ = extra.withUnsafeBytes { dbvu_send(socket, $0.baseAddress, $0.count, nil, 0) }
        default: break
        }
        let id = behaviour == .wrongID ? request.header.id &+ 1 : request.header.id
        var bytes: [UInt8] = []
        VFIOUserHeader(id: id, command: request.header.command, size: UInt32(16 + body.count), flags: flags, error: error)
            .encode(into: &bytes)
        bytes += body
        _ = bytes.withUnsafeBytes { dbvu_send(socket, $0.baseAddress, $0.count, nil, 0) }
    }
}
