/// One write of a `REGION_WRITE_MULTI` message (at most 8 bytes).
public struct VFIOUserRegionWrite: Sendable, Equatable {
    /// Region index.
    public var region: UInt32
    /// Offset in the region.
    public var offset: UInt64
    /// Bytes to write (1 to 8).
    public var data: [UInt8]
}

/// The fields of a `DEVICE_SET_IRQS` request.
public struct VFIOUserIRQSet: Sendable, Equatable {
    /// `VFIO_IRQ_SET_*` flags: one data type, one action.
    public var flags: UInt32
    /// Interrupt type (``VFIOUser/IRQ``).
    public var index: UInt32
    /// First vector.
    public var start: UInt32
    /// Number of vectors.
    public var count: UInt32
    /// The boolean array of a `DATA_BOOL` request (one byte per vector).
    public var booleans: [UInt8]
}

/// A `DMA_MAP` request.
public struct VFIOUserDMAMap: Sendable, Equatable {
    /// Read/write permission flags (``VFIOUser/DMAFlags``).
    public var flags: UInt32
    /// Offset of the window in the file descriptor that comes with the message.
    public var fileOffset: UInt64
    /// First DMA address of the window.
    public var address: UInt64
    /// Size of the window.
    public var size: UInt64
}

/// A client request, decoded and length-checked. Decoding never traps; a malformed message
/// becomes the error number its reply carries.
public enum VFIOUserRequest: Sendable, Equatable {
    /// Version negotiation with the client's JSON capabilities (nil when absent).
    case version(major: UInt16, minor: UInt16, capabilities: String?)
    /// Map a window of client memory for DMA.
    case dmaMap(VFIOUserDMAMap)
    /// Unmap a window; the reply echoes the request payload.
    case dmaUnmap(argsz: UInt32, flags: UInt32, address: UInt64, size: UInt64)
    /// Device info.
    case deviceGetInfo(argsz: UInt32)
    /// Region info for one region index.
    case deviceGetRegionInfo(argsz: UInt32, index: UInt32)
    /// Interrupt info for one interrupt type.
    case deviceGetIRQInfo(argsz: UInt32, index: UInt32)
    /// Interrupt setup.
    case deviceSetIRQs(VFIOUserIRQSet)
    /// Read `count` bytes of a region.
    case regionRead(region: UInt32, offset: UInt64, count: UInt32)
    /// Write bytes to a region.
    case regionWrite(region: UInt32, offset: UInt64, data: [UInt8])
    /// Several small writes in one message.
    case regionWriteMulti([VFIOUserRegionWrite])
    /// Reset the device.
    case deviceReset
    /// A command this server knows but does not implement (or one it does not know).
    case unsupported(command: UInt16)

    /// Whether this is a region read or write (traced with its value by the endpoint).
    public var isRegionAccess: Bool {
        switch self {
        case .regionRead, .regionWrite, .regionWriteMulti: true
        default: false
        }
    }

    /// Decodes the payload (everything after the header) of a command message.
    public static func decode(_ header: VFIOUserHeader, payload: [UInt8]) -> Result<VFIOUserRequest, VFIOUserErrno> {
        var r = ByteReader(payload)
        let n = payload.count
        guard let command = VFIOUser.Command(rawValue: header.command) else {
            return .success(.unsupported(command: header.command))
        }
        switch command {
        case .version:
            guard n >= 4 else { return .failure(.einval) }
            let major = r.u16()
            let minor = r.u16()
            let text = r.take(n - 4)
            guard !text.isEmpty else { return .success(.version(major: major, minor: minor, capabilities: nil)) }
            guard text.last == 0, let json = String(validating: text.dropLast(), as: UTF8.self) else {
                return .failure(.einval)
            }
            return .success(.version(major: major, minor: minor, capabilities: json))
        case .dmaMap:
            guard n == 32 else { return .failure(.einval) }
            let argsz = r.u32()
            guard argsz >= 32 else { return .failure(.einval) }
            return .success(.dmaMap(VFIOUserDMAMap(flags: r.u32(), fileOffset: r.u64(), address: r.u64(), size: r.u64())))
        case .dmaUnmap:
            guard n == 24 else { return .failure(.einval) }
            return .success(.dmaUnmap(argsz: r.u32(), flags: r.u32(), address: r.u64(), size: r.u64()))
        case .deviceGetInfo:
            guard n >= 4 else { return .failure(.einval) }
            return .success(.deviceGetInfo(argsz: r.u32()))
        case .deviceGetRegionInfo:
            guard n >= 12 else { return .failure(.einval) }
            let argsz = r.u32()
            _ = r.u32()
            return .success(.deviceGetRegionInfo(argsz: argsz, index: r.u32()))
        case .deviceGetIRQInfo:
            guard n >= 12 else { return .failure(.einval) }
            let argsz = r.u32()
            _ = r.u32()
            return .success(.deviceGetIRQInfo(argsz: argsz, index: r.u32()))
        case .deviceSetIRQs:
            guard n >= 20 else { return .failure(.einval) }
            _ = r.u32()
            let set = VFIOUserIRQSet(flags: r.u32(), index: r.u32(), start: r.u32(), count: r.u32(), booleans: [])
            guard set.flags & VFIOUser.IRQSetFlags.dataBool != 0 else {
                guard n == 20 else { return .failure(.einval) }
                return .success(.deviceSetIRQs(set))
            }
            guard UInt64(n - 20) == UInt64(set.count) else { return .failure(.einval) }
            var withData = set
            withData.booleans = r.take(n - 20)
            return .success(.deviceSetIRQs(withData))
        case .regionRead:
            guard n == 16 else { return .failure(.einval) }
            let offset = r.u64()
            let region = r.u32()
            let count = r.u32()
            guard count <= VFIOUser.maxDataTransfer else { return .failure(.emsgsize) }
            return .success(.regionRead(region: region, offset: offset, count: count))
        case .regionWrite:
            guard n >= 16 else { return .failure(.einval) }
            let offset = r.u64()
            let region = r.u32()
            let count = r.u32()
            guard UInt64(count) == UInt64(n - 16) else { return .failure(.einval) }
            return .success(.regionWrite(region: region, offset: offset, data: r.take(Int(count))))
        case .regionWriteMulti:
            return decodeWriteMulti(payload)
        case .deviceReset:
            guard n == 0 else { return .failure(.einval) }
            return .success(.deviceReset)
        case .deviceGetRegionIOFDs, .dmaRead, .dmaWrite, .deviceFeature, .migrationDataRead, .migrationDataWrite:
            return .success(.unsupported(command: header.command))
        }
    }

    /// `wr_cnt` (8 bytes), then that many 24-byte writes of at most 8 data bytes each.
    private static func decodeWriteMulti(_ payload: [UInt8]) -> Result<VFIOUserRequest, VFIOUserErrno> {
        var r = ByteReader(payload)
        guard payload.count >= 8 else { return .failure(.einval) }
        let count = r.u64()
        guard count <= 64, UInt64(payload.count - 8) == count * 24 else { return .failure(.einval) }
        var writes: [VFIOUserRegionWrite] = []
        for _ in 0..<Int(count) {
            let offset = r.u64()
            let region = r.u32()
            let length = r.u32()
            let data = r.take(8)
            guard length >= 1, length <= 8 else { return .failure(.einval) }
            writes.append(VFIOUserRegionWrite(region: region, offset: offset, data: Array(data.prefix(Int(length)))))
        }
        return .success(.regionWriteMulti(writes))
    }
}
