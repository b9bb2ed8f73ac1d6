import Foundation
import PCIe

extension VFIOUserEndpoint {
    /// REGION_READ: the bytes of a BAR or of config space, in naturally aligned accesses.
    func readRegion(_ region: UInt32, offset: UInt64, count: UInt32) -> Result<[UInt8], VFIOUserErrno> {
        let size = regionSize(region)
        guard count > 0, offset < size, UInt64(count) <= size - offset else {
            note("read of \(count) bytes at region \(region)+0x\(String(offset, radix: 16)) out of range")
            return .failure(size == 0 ? .einval : .erange)
        }
        statistics.regionAccesses &+= 1
        var out: [UInt8] = []
        out.reserveCapacity(16 + Int(count))
        out.appendLittleEndian(offset)
        out.appendLittleEndian(region)
        out.appendLittleEndian(count)
        defer { if let trace { trace(Self.traceLine(function.bdf, "read ", region, offset, out.dropFirst(16))) } }
        if region == VFIOUser.Region.config {
            // One config read per dword touched, not one per byte.
            var dwordOffset = -1
            var dword: UInt32 = 0
            for p in Int(offset)..<Int(offset) + Int(count) {
                if p & ~3 != dwordOffset {
                    dwordOffset = p & ~3
                    dword = virtualConfigDword(dwordOffset)
                }
                out.append(UInt8(truncatingIfNeeded: dword >> UInt32(8 * (p & 3))))
            }
            return .success(out)
        }
        let bar = BARIndex(clamping: Int(region))
        forEachAlignedPiece(offset: offset, count: UInt64(count)) { at, width in
            let value = function.barRead(bar, offset: at, width: width)
            for i in 0..<width.rawValue { out.append(UInt8(truncatingIfNeeded: value >> UInt64(8 * i))) }
        }
        return .success(out)
    }

    /// REGION_WRITE: bytes to a BAR or to config space, in naturally aligned accesses.
    func writeRegion(_ region: UInt32, offset: UInt64, data: [UInt8]) -> Result<[UInt8], VFIOUserErrno> {
        let size = regionSize(region)
        let count = UInt64(data.count)
        guard count > 0, offset < size, count <= size - offset else {
            note("write of \(count) bytes at region \(region)+0x\(String(offset, radix: 16)) out of range")
            return .failure(size == 0 ? .einval : .erange)
        }
        statistics.regionAccesses &+= 1
        if let trace { trace(Self.traceLine(function.bdf, "write", region, offset, data[...])) }
        forEachAlignedPiece(offset: offset, count: count) { at, width in
            var value: UInt64 = 0
            let first = Int(at - offset)
            for i in 0..<width.rawValue { value |= UInt64(data[first + i]) << UInt64(8 * i) }
            if region == VFIOUser.Region.config {
                writeConfig(Int(at), width: width, value: UInt32(truncatingIfNeeded: value))
            } else {
                function.barWrite(BARIndex(clamping: Int(region)), offset: at, width: width, value: value)
            }
        }
        var out: [UInt8] = []
        out.appendLittleEndian(offset)
        out.appendLittleEndian(region)
        out.appendLittleEndian(UInt32(count))
        return .success(out)
    }

    /// `00:15.0 write r0+0x2c 0x00000001`: region, offset and the value (little-endian bytes,
    /// shown most significant first; long transfers show their length).
    static func traceLine(_ bdf: BDF, _ verb: String, _ region: UInt32, _ offset: UInt64, _ bytes: ArraySlice<UInt8>) -> String {
        let value =
            bytes.count <= 8 ? "0x" + bytes.reversed().map { String(format: "%02x", $0) }.joined() : "[\(bytes.count) bytes]"
        return "\(bdf) \(verb) r\(region)+0x\(String(offset, radix: 16)) \(value)"
    }

    /// Splits `[offset, offset+count)` into the widest naturally aligned accesses (8, 4, 2, 1).
    private func forEachAlignedPiece(offset: UInt64, count: UInt64, _ body: (UInt64, AccessWidth) -> Void) {
        var at = offset
        let end = offset + count
        while at < end {
            let left = end - at
            let width: AccessWidth =
                at % 8 == 0 && left >= 8 ? .qword : at % 4 == 0 && left >= 4 ? .dword : at % 2 == 0 && left >= 2 ? .word : .byte
            body(at, width)
            at += UInt64(width.rawValue)
        }
    }

    // MARK: Config space as the client sees it

    /// BAR registers (0x10-0x27) and the expansion ROM register (0x30) belong to the client.
    private static func isClientOwned(_ offset: Int, _ length: Int) -> Bool {
        (offset < 0x28 && offset + length > 0x10) || (offset < 0x34 && offset + length > 0x30)
    }

    /// The dword at `offset` (aligned) with the virtualized fields substituted.
    func virtualConfigDword(_ offset: Int) -> UInt32 {
        if offset == 0, function.isVirtualFunction {
            return UInt32(function.vendorID) | UInt32(function.deviceID) << 16
        }
        if offset >= 0x10, offset < 0x28, function.isVirtualFunction {
            return virtualFunctionBARDword((offset - 0x10) / 4)
        }
        let value = bus.configRead(function.bdf, ConfigOffset(offset), width: .dword)
        if offset == 0x3c { return value & ~0xff00 }
        if offset == 0x04, function.isVirtualFunction, virtualFunctionMemoryEnable { return value | 0x2 }
        return value
    }

    /// A VF's BAR register as if it were an ordinary function: its address and type bits (a VF's
    /// own BAR registers read zero; its BARs live in the PF's SR-IOV capability).
    private func virtualFunctionBARDword(_ index: Int) -> UInt32 {
        let defs = function.barDefinitions
        if index > 0, index - 1 < defs.count, let previous = defs[index - 1], previous.kind == .memory64 {
            return UInt32(truncatingIfNeeded: (function.barAddress(index - 1) ?? 0) >> 32)
        }
        guard index < defs.count, let def = defs[index] else { return 0 }
        let address = UInt32(truncatingIfNeeded: function.barAddress(index) ?? 0) & ~0xf
        let type: UInt32 = def.kind == .memory64 ? 0x4 : 0
        return address | type | (def.prefetchable ? 0x8 : 0)
    }

    private func writeConfig(_ offset: Int, width: AccessWidth, value: UInt32) {
        guard !Self.isClientOwned(offset, width.rawValue) else { return }
        if function.isVirtualFunction, offset <= 4, offset + width.rawValue > 4 {
            // A VF's Memory Space Enable is hardwired to 0 (its BARs decode through the PF's VF
            // MSE); the client's OS still sets it and reads it back, so it is kept here.
            virtualFunctionMemoryEnable = (value >> UInt32(8 * (4 - offset))) & 0x2 != 0
        }
        bus.configWrite(function.bdf, ConfigOffset(offset), width: width, value: value)
    }
}
