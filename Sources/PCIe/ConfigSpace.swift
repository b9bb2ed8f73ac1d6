import RegisterModel

/// A function's 4 KiB configuration space with per-bit access semantics.
///
/// Every byte carries three masks: bits a guest write stores, bits a guest write of one clears
/// (W1C) and bits that read as zero (write-only). All guest accesses go through
/// ``guestRead(_:width:)`` and ``guestWrite(_:width:value:)``, so read-only, hardware-initialised,
/// reserved and W1C behaviour is enforced here and nowhere else. The device and the platform
/// change read-only state with the `set...` methods, which bypass the masks.
public struct ConfigSpace: Sendable {
    /// Size of PCI Express configuration space.
    public static let size = 4096

    private var bytes: [UInt8]
    private var writable: [UInt8]
    private var writeOneToClear: [UInt8]
    private var readsAsZero: [UInt8]

    /// An all-zero, all-read-only space.
    public init() {
        bytes = Array(repeating: 0, count: Self.size)
        writable = bytes
        writeOneToClear = bytes
        readsAsZero = bytes
    }

    /// Whether an access of `width` at `offset` is inside the space and naturally aligned.
    @inlinable public static func isValidAccess(_ offset: ConfigOffset, width: AccessWidth) -> Bool {
        offset.value >= 0 && offset.value + width.rawValue <= size && offset.value % width.rawValue == 0
            && width != .qword
    }

    // MARK: Guest view

    /// Reads as the guest sees it (write-only bits read zero). Invalid accesses read all ones.
    public func guestRead(_ offset: ConfigOffset, width: AccessWidth) -> UInt32 {
        guard Self.isValidAccess(offset, width: width) else { return UInt32(truncatingIfNeeded: width.allOnes) }
        var value: UInt32 = 0
        for i in 0..<width.rawValue {
            let at = offset.value + i
            value |= UInt32(bytes[at] & ~readsAsZero[at]) << UInt32(8 * i)
        }
        return value
    }

    /// Applies a guest write through the masks. Returns false (and changes nothing) if the access
    /// is out of range or misaligned.
    @discardableResult
    public mutating func guestWrite(_ offset: ConfigOffset, width: AccessWidth, value: UInt32) -> Bool {
        guard Self.isValidAccess(offset, width: width) else { return false }
        for i in 0..<width.rawValue {
            let at = offset.value + i
            let v = UInt8(truncatingIfNeeded: value >> UInt32(8 * i))
            var b = (bytes[at] & ~writable[at]) | (v & writable[at])
            b &= ~(v & writeOneToClear[at])
            bytes[at] = b
        }
        return true
    }

    // MARK: Device and platform view

    /// Reads raw stored bits (including write-only bits), ignoring masks. Out of range reads zero.
    public func read(_ offset: ConfigOffset, width: AccessWidth) -> UInt64 {
        var value: UInt64 = 0
        for i in 0..<width.rawValue where offset.value + i < Self.size && offset.value + i >= 0 {
            value |= UInt64(bytes[offset.value + i]) << UInt64(8 * i)
        }
        return value
    }

    /// Reads an 8-bit value.
    public func read8(_ offset: ConfigOffset) -> UInt8 { UInt8(truncatingIfNeeded: read(offset, width: .byte)) }
    /// Reads a 16-bit value.
    public func read16(_ offset: ConfigOffset) -> UInt16 { UInt16(truncatingIfNeeded: read(offset, width: .word)) }
    /// Reads a 32-bit value.
    public func read32(_ offset: ConfigOffset) -> UInt32 { UInt32(truncatingIfNeeded: read(offset, width: .dword)) }

    /// Stores raw bits regardless of masks (hardware-side update). Out-of-range bytes are dropped.
    public mutating func set(_ offset: ConfigOffset, width: AccessWidth, value: UInt64) {
        for i in 0..<width.rawValue where offset.value + i < Self.size && offset.value + i >= 0 {
            bytes[offset.value + i] = UInt8(truncatingIfNeeded: value >> UInt64(8 * i))
        }
    }

    /// Sets or clears the bits of `field` in the register at `offset` (hardware-side).
    public mutating func set(_ offset: ConfigOffset, width: AccessWidth, field: BitField, to value: UInt64) {
        set(offset, width: width, value: field.insert(value, into: read(offset, width: width)))
    }

    /// Defines the access masks of `width` bytes at `offset`.
    public mutating func setMasks(
        _ offset: ConfigOffset, width: AccessWidth, writable w: UInt64, writeOneToClear c: UInt64 = 0,
        readsAsZero z: UInt64 = 0
    ) {
        for i in 0..<width.rawValue where offset.value + i < Self.size && offset.value + i >= 0 {
            let shift = UInt64(8 * i)
            writable[offset.value + i] = UInt8(truncatingIfNeeded: w >> shift)
            writeOneToClear[offset.value + i] = UInt8(truncatingIfNeeded: c >> shift)
            readsAsZero[offset.value + i] = UInt8(truncatingIfNeeded: z >> shift)
        }
    }

    /// Writable mask of `width` bytes at `offset`.
    public func writableMask(_ offset: ConfigOffset, width: AccessWidth) -> UInt64 {
        mask(writable, offset, width)
    }

    /// W1C mask of `width` bytes at `offset`.
    public func writeOneToClearMask(_ offset: ConfigOffset, width: AccessWidth) -> UInt64 {
        mask(writeOneToClear, offset, width)
    }

    private func mask(_ m: [UInt8], _ offset: ConfigOffset, _ width: AccessWidth) -> UInt64 {
        var value: UInt64 = 0
        for i in 0..<width.rawValue where offset.value + i < Self.size && offset.value + i >= 0 {
            value |= UInt64(m[offset.value + i]) << UInt64(8 * i)
        }
        return value
    }

    /// Installs a generated register block at `base`: reset values and masks from the spec.
    ///
    /// Registers with a width of 8 are installed as two dwords. Array registers install every
    /// instance.
    public mutating func install(_ block: RegisterBlock, at base: ConfigOffset) {
        for reg in block.registers {
            guard let width = AccessWidth(rawValue: reg.width) else { continue }
            for n in 0..<reg.count {
                let at = base.advanced(by: reg.offset(ofInstance: n))
                set(at, width: width, value: reg.reset)
                setMasks(
                    at, width: width, writable: reg.writableMask, writeOneToClear: reg.writeOneToClearMask,
                    readsAsZero: reg.writeOnlyMask)
            }
        }
    }

    /// A copy of all bytes as the guest would read them (write-only bits zero), for snapshots.
    public var guestVisibleBytes: [UInt8] {
        var out = bytes
        for i in 0..<Self.size { out[i] &= ~readsAsZero[i] }
        return out
    }
}
