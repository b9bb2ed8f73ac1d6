#if canImport(Glibc)
    import Glibc
#elseif canImport(Musl)
    import Musl
#elseif canImport(Darwin)
    import Darwin
#endif

/// Why a ``PcapWriter`` could not be created.
public enum PcapError: Error, Equatable {
    /// `fopen` failed with `errno`.
    case cannotOpen(path: String, errno: Int32)
    /// Writing the file header failed.
    case cannotWriteHeader(path: String)
}

/// A sink that writes every frame it receives to a classic libpcap file (magic 0xa1b2c3d4 written
/// little endian, version 2.4, snap length 65535, link type 1 = Ethernet), readable by tcpdump and
/// Wireshark. Attach it as a far end to capture what a port transmits, or as a tap anywhere else.
///
/// Timestamps come from `clock` (microseconds since the epoch); by default frame n is stamped
/// n microseconds, so captures are byte-for-byte reproducible. Pass a closure over a virtual
/// clock to get device time instead.
public final class PcapWriter: FrameSink {
    /// The largest number of bytes stored per frame; longer frames are cut (their original length
    /// is still recorded).
    public static let snapLength: UInt32 = 65535
    /// LINKTYPE_ETHERNET.
    public static let linkTypeEthernet: UInt32 = 1

    /// The file being written.
    public let path: String
    /// Frames written.
    public private(set) var framesWritten: UInt64 = 0
    /// Frames that could not be written completely (disk full, closed file).
    public private(set) var writeErrors: UInt64 = 0

    private var file: UnsafeMutablePointer<FILE>?
    private let clock: (() -> UInt64)?
    private var nextTick: UInt64 = 0

    /// Creates (or truncates) the file at `path` and writes the pcap file header.
    public init(path: String, clock: (() -> UInt64)? = nil) throws {
        self.path = path
        self.clock = clock
        guard let file = fopen(path, "wb") else { throw PcapError.cannotOpen(path: path, errno: errno) }
        self.file = file
        // magic; version 2.4 (two little-endian 16-bit words); GMT offset; accuracy; snap length; link type
        let version: UInt32 = 2 | 4 << 16
        let words: [UInt32] = [0xA1B2_C3D4, version, 0, 0, Self.snapLength, Self.linkTypeEthernet]
        var header: [UInt8] = []
        for word in words {
            for lane: UInt32 in 0..<4 { header.append(UInt8(truncatingIfNeeded: word >> (8 * lane))) }
        }
        let written = header.withUnsafeBytes { fwrite($0.baseAddress, 1, $0.count, file) }
        guard written == header.count else {
            fclose(file)
            self.file = nil
            throw PcapError.cannotWriteHeader(path: path)
        }
    }

    deinit {
        close()
    }

    /// Appends one record: a 16-byte header (seconds, microseconds, stored length, original length,
    /// little endian) and up to ``snapLength`` frame bytes. Counted in ``writeErrors`` after close.
    public func receive(_ frame: UnsafeRawBufferPointer) {
        guard let file else {
            writeErrors &+= 1
            return
        }
        let timestamp = clock?() ?? nextTick
        nextTick &+= 1
        let stored = min(frame.count, Int(Self.snapLength))
        let headerWritten = withUnsafeTemporaryAllocation(byteCount: 16, alignment: 4) { header in
            header.storeBytes(of: UInt32(truncatingIfNeeded: timestamp / 1_000_000).littleEndian, as: UInt32.self)
            header.storeBytes(
                of: UInt32(truncatingIfNeeded: timestamp % 1_000_000).littleEndian, toByteOffset: 4, as: UInt32.self)
            header.storeBytes(of: UInt32(stored).littleEndian, toByteOffset: 8, as: UInt32.self)
            header.storeBytes(of: UInt32(truncatingIfNeeded: frame.count).littleEndian, toByteOffset: 12, as: UInt32.self)
            return fwrite(header.baseAddress, 1, 16, file)
        }
        let bodyWritten = stored == 0 ? 0 : fwrite(frame.baseAddress, 1, stored, file)
        if headerWritten == 16 && bodyWritten == stored {
            framesWritten &+= 1
        } else {
            writeErrors &+= 1
        }
    }

    /// Pushes buffered records to the file.
    public func flush() {
        if let file { fflush(file) }
    }

    /// Flushes and closes the file; later frames count as write errors. Safe to call twice.
    public func close() {
        if let file { fclose(file) }
        file = nil
    }
}
