/// Injects a deterministic stream of frames into a ``Wire`` towards the port.
///
/// Each frame is one of the templates, chosen by a generator seeded with `seed`, so the same
/// seed gives the same stream. With `randomizeSourcePort`, TCP and UDP templates get a fresh
/// source port (1024-65535) per frame and their checksum is updated incrementally (RFC 1624), which
/// spreads the stream over RSS queues. Frames are sent from the templates or from one buffer
/// allocated at init: no allocation per frame.
public final class TrafficGenerator {
    /// Where a template's source port and L4 checksum are, when it has them.
    private struct Layout {
        /// Offset of the source port, or nil when the template has no TCP/UDP ports.
        var portOffset: Int?
        /// Offset of the TCP/UDP checksum, or nil when it is beyond the template.
        var checksumOffset: Int?
        /// UDP datagrams: a zero checksum means "none" and stays zero.
        var isUDP: Bool
    }

    /// The frames the stream is made of.
    public let templates: [[UInt8]]
    /// Whether TCP/UDP source ports are rewritten per frame.
    public let randomizeSourcePort: Bool
    /// Frames injected so far.
    public private(set) var framesGenerated: UInt64 = 0
    /// Bytes injected so far.
    public private(set) var bytesGenerated: UInt64 = 0

    private var random: DeterministicRandom
    private let layouts: [Layout]
    private let buffer: UnsafeMutableRawBufferPointer
    private var bufferInUse = false

    /// A generator over `templates` (complete frames without FCS), seeded with `seed`.
    public init(templates: [[UInt8]], seed: UInt64, randomizeSourcePort: Bool = false) {
        self.templates = templates
        self.randomizeSourcePort = randomizeSourcePort
        random = DeterministicRandom(seed: seed)
        layouts = templates.map { template in
            let headers = template.withUnsafeBytes { FrameHeaders.parse($0) }
            guard let headers, headers.hasPorts else { return Layout(portOffset: nil, checksumOffset: nil, isUDP: false) }
            let checksumOffset = headers.l4Offset + (headers.isTCP ? 16 : 6)
            return Layout(
                portOffset: headers.l4Offset, checksumOffset: checksumOffset + 2 <= template.count ? checksumOffset : nil,
                isUDP: headers.isUDP)
        }
        buffer = UnsafeMutableRawBufferPointer.allocate(
            byteCount: max(1, templates.map(\.count).max() ?? 1), alignment: 16)
    }

    deinit {
        buffer.deallocate()
    }

    /// Sends `count` frames into `wire` with ``Wire/transmitToPort(_:)``; nothing without templates.
    public func inject(count: Int, into wire: Wire) {
        guard !templates.isEmpty else { return }
        for _ in 0..<max(0, count) {
            let index = Int(random.next() % UInt64(templates.count))
            framesGenerated &+= 1
            bytesGenerated &+= UInt64(templates[index].count)
            guard randomizeSourcePort, let portOffset = layouts[index].portOffset else {
                templates[index].withUnsafeBytes { wire.transmitToPort($0) }
                continue
            }
            let port = UInt16(truncatingIfNeeded: 1024 + random.next() % (65536 - 1024))
            if bufferInUse {
                withUnsafeTemporaryAllocation(byteCount: templates[index].count, alignment: 16) { space in
                    send(index, port: port, at: portOffset, using: space, into: wire)
                }
            } else {
                bufferInUse = true
                defer { bufferInUse = false }
                send(index, port: port, at: portOffset, using: buffer, into: wire)
            }
        }
    }

    /// Copies template `index` into `space`, rewrites its source port and checksum, sends it.
    private func send(
        _ index: Int, port: UInt16, at portOffset: Int, using space: UnsafeMutableRawBufferPointer, into wire: Wire
    ) {
        let frame = UnsafeMutableRawBufferPointer(rebasing: space[0..<templates[index].count])
        templates[index].withUnsafeBytes { frame.copyMemory(from: $0) }
        let oldPort = UInt16(bigEndian: frame.loadUnaligned(fromByteOffset: portOffset, as: UInt16.self))
        frame.storeBytes(of: port.bigEndian, toByteOffset: portOffset, as: UInt16.self)
        if let checksumOffset = layouts[index].checksumOffset {
            let old = UInt16(bigEndian: frame.loadUnaligned(fromByteOffset: checksumOffset, as: UInt16.self))
            if !(layouts[index].isUDP && old == 0) {
                var updated = Self.adjust(checksum: old, replacing: oldPort, with: port)
                if layouts[index].isUDP && updated == 0 { updated = 0xFFFF }
                frame.storeBytes(of: updated.bigEndian, toByteOffset: checksumOffset, as: UInt16.self)
            }
        }
        wire.transmitToPort(UnsafeRawBufferPointer(frame))
    }

    /// RFC 1624 eqn. 3: HC' = ~(~HC + ~m + m').
    static func adjust(checksum: UInt16, replacing old: UInt16, with new: UInt16) -> UInt16 {
        var sum = UInt32(~checksum) + UInt32(~old) + UInt32(new)
        while sum >> 16 != 0 { sum = (sum & 0xFFFF) + (sum >> 16) }
        return ~UInt16(truncatingIfNeeded: sum)
    }
}
