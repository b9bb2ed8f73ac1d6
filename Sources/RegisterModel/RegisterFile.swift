/// The live state of a register block, with access semantics taken from its descriptors.
///
/// A device model keeps one per BAR window and forwards guest accesses here: read-only,
/// write-only, W1C and clear-on-read behaviour come from the spec, so the model only adds
/// side effects (a doorbell, a reset bit) after the register file has applied the access.
/// Lookup is one array index per access (a dense table by dword), no hashing.
public struct RegisterFile: Sendable {
    /// The spec this file follows.
    public let block: RegisterBlock
    // Register values by slot; one extra slot at the end backs ``discardSlot``.
    @usableFromInline var values: [UInt64]
    private var resetValues: [UInt64]
    private var slotByDword: [Int32]
    private var slotOffset: [Int]
    private var slotWidth: [Int]
    private var writable: [UInt64]
    private var writeOneToClear: [UInt64]
    private var readClear: [UInt64]
    private var writeOnly: [UInt64]

    /// Builds the file at reset values.
    public init(_ block: RegisterBlock) {
        self.block = block
        let dwords = max(1, (block.size + 3) / 4)
        slotByDword = Array(repeating: -1, count: dwords)
        values = []
        slotOffset = []
        slotWidth = []
        writable = []
        writeOneToClear = []
        readClear = []
        writeOnly = []
        for reg in block.registers {
            let masks = (reg.writableMask, reg.writeOneToClearMask, reg.readClearMask, reg.writeOnlyMask)
            for n in 0..<reg.count {
                let at = reg.offset(ofInstance: n)
                let slot = Int32(values.count)
                values.append(reg.reset & reg.widthMask)
                slotOffset.append(at)
                slotWidth.append(reg.width)
                writable.append(masks.0)
                writeOneToClear.append(masks.1)
                readClear.append(masks.2)
                writeOnly.append(masks.3)
                var d = at / 4
                while d * 4 < at + reg.width, d < dwords {
                    slotByDword[d] = slot
                    d += 1
                }
            }
        }
        values.append(0)
        resetValues = values
    }

    /// The slot of the register at `offset` with its width mask, resolved once so hot paths
    /// (statistics counted per frame or per command) skip the lookup. Nil if no register is there.
    public func slot(at offset: Int) -> RegisterSlot? {
        guard let (slot, _) = locate(offset, 1) else { return nil }
        let width = slotWidth[slot]
        return RegisterSlot(index: slot, mask: width >= 8 ? ~UInt64(0) : (UInt64(1) << UInt64(width * 8)) - 1)
    }

    /// The slot of the register at `offset`, or ``discardSlot`` if there is none (writes to it
    /// go nowhere a guest can see).
    public func slotOrDiscard(at offset: Int) -> RegisterSlot { slot(at: offset) ?? discardSlot }

    /// A slot that belongs to no register.
    public var discardSlot: RegisterSlot { RegisterSlot(index: values.count - 1, mask: ~UInt64(0)) }

    /// The raw value in `slot`.
    @inlinable public func value(_ slot: RegisterSlot) -> UInt64 { values[slot.index] }

    /// Sets the raw value in `slot` (masked to the register's width).
    @inlinable public mutating func set(_ slot: RegisterSlot, _ value: UInt64) { values[slot.index] = value & slot.mask }

    /// Adds `delta` to the counter in `slot`, wrapping at the register's width.
    @inlinable public mutating func increment(_ slot: RegisterSlot, by delta: UInt64 = 1) {
        values[slot.index] = (values[slot.index] &+ delta) & slot.mask
    }

    /// The slot and bit shift of an access, if a register covers it entirely.
    private func locate(_ offset: Int, _ width: Int) -> (slot: Int, shift: UInt64)? {
        let d = offset >> 2
        guard offset >= 0, d < slotByDword.count else { return nil }
        let slot = Int(slotByDword[d])
        guard slot >= 0 else { return nil }
        let rel = offset - slotOffset[slot]
        guard rel >= 0, rel + width <= slotWidth[slot] else { return nil }
        return (slot, UInt64(rel * 8))
    }

    /// A guest read of `width` bytes at `offset`: write-only bits read zero, clear-on-read bits
    /// clear. Returns nil if no register covers the access.
    public mutating func guestRead(_ offset: Int, width: Int) -> UInt64? {
        guard let (slot, shift) = locate(offset, width) else { return nil }
        let mask = width >= 8 ? ~UInt64(0) : (UInt64(1) << UInt64(width * 8)) - 1
        let v = values[slot]
        let result = ((v & ~writeOnly[slot]) >> shift) & mask
        let cleared = readClear[slot] & (mask << shift)
        if cleared != 0 { values[slot] = v & ~cleared }
        return result
    }

    /// A guest write: rw and wo bits take the value, W1C bits clear where one is written, the
    /// rest stay. Returns the register's offset (for side-effect dispatch), or nil if no
    /// register covers the access.
    @discardableResult
    public mutating func guestWrite(_ offset: Int, width: Int, value: UInt64) -> Int? {
        guard let (slot, shift) = locate(offset, width) else { return nil }
        let mask = (width >= 8 ? ~UInt64(0) : (UInt64(1) << UInt64(width * 8)) - 1) << shift
        let incoming = (value << shift) & mask
        var v = values[slot]
        let w = writable[slot] & mask
        v = (v & ~w) | (incoming & w)
        v &= ~(incoming & writeOneToClear[slot])
        values[slot] = v
        return slotOffset[slot]
    }

    /// The slot of the register at `offset` for guest writes of its full width, with the mask of
    /// the bits such a write changes: resolved once so a doorbell (written once per batch by
    /// every queue's driver) skips the lookup. Nil if no register is there or the register has
    /// write-one-to-clear bits, which ``guestWrite(_:value:)`` does not model.
    public func guestWriteSlot(at offset: Int) -> RegisterSlot? {
        guard let (slot, shift) = locate(offset, 1), shift == 0, writeOneToClear[slot] == 0 else { return nil }
        let width = slotWidth[slot]
        let widthMask = width >= 8 ? ~UInt64(0) : (UInt64(1) << UInt64(width * 8)) - 1
        return RegisterSlot(index: slot, mask: writable[slot] & widthMask)
    }

    /// A guest write of the register's full width through a slot from
    /// ``guestWriteSlot(at:)``: the same result as ``guestWrite(_:width:value:)`` at its offset.
    @inlinable public mutating func guestWrite(_ slot: RegisterSlot, value: UInt64) {
        values[slot.index] = (values[slot.index] & ~slot.mask) | (value & slot.mask)
    }

    /// The raw value of the register at `offset` (hardware view; 0 if none).
    public func value(at offset: Int) -> UInt64 {
        guard let (slot, _) = locate(offset, 1) else { return 0 }
        return values[slot]
    }

    /// Sets the raw value of the register at `offset` (hardware side, no masks).
    public mutating func set(_ offset: Int, _ value: UInt64) {
        guard let (slot, _) = locate(offset, 1) else { return }
        values[slot] = value
    }

    /// Sets bits (hardware side): `register |= bits`.
    public mutating func setBits(_ offset: Int, _ bits: UInt64) {
        guard let (slot, _) = locate(offset, 1) else { return }
        values[slot] |= bits
    }

    /// Adds `delta` to a counter register (hardware side), wrapping at the register's width.
    public mutating func increment(_ offset: Int, by delta: UInt64 = 1) {
        guard let (slot, _) = locate(offset, 1) else { return }
        let width = slotWidth[slot]
        let mask = width >= 8 ? ~UInt64(0) : (UInt64(1) << UInt64(width * 8)) - 1
        values[slot] = (values[slot] &+ delta) & mask
    }

    /// Returns every register to its reset value.
    public mutating func reset() { values = resetValues }
}

/// A register resolved to its place in a ``RegisterFile`` (see ``RegisterFile/slot(at:)``).
public struct RegisterSlot: Sendable, Equatable {
    /// Index into the file's value table.
    public let index: Int
    /// The register's width as a bit mask.
    public let mask: UInt64

    /// A slot; use ``RegisterFile/slot(at:)`` rather than building one by hand.
    @inlinable public init(index: Int, mask: UInt64) {
        self.index = index
        self.mask = mask
    }
}
