/// A named value a field can hold, as the spec enumerates it.
public struct FieldValue: Sendable, Equatable {
    /// The enumerator's name, e.g. `x8`.
    public let name: String
    /// The encoded value, already shifted down to bit 0 of the field.
    public let value: UInt64

    /// Creates an enumerator.
    public init(name: String, value: UInt64) {
        self.name = name
        self.value = value
    }
}

/// A contiguous run of bits inside a register with one access kind.
public struct FieldDescriptor: Sendable, Equatable {
    /// Field name as the spec spells it (e.g. `MemorySpaceEnable`).
    public let name: String
    /// Lowest bit of the field.
    public let lsb: Int
    /// Number of bits.
    public let width: Int
    /// Access semantics of every bit of the field.
    public let access: RegisterAccess
    /// Named values, if the spec enumerates them.
    public let values: [FieldValue]
    /// One-line description.
    public let summary: String

    /// Creates a field.
    public init(
        name: String, lsb: Int, width: Int, access: RegisterAccess,
        values: [FieldValue] = [], summary: String = ""
    ) {
        self.name = name
        self.lsb = lsb
        self.width = width
        self.access = access
        self.values = values
        self.summary = summary
    }

    /// The field's bits in register position.
    @inlinable public var mask: UInt64 {
        (width >= 64 ? ~UInt64(0) : ((UInt64(1) << UInt64(width)) - 1)) << UInt64(lsb)
    }

    /// Extracts the field from a register value.
    @inlinable public func extract(from register: UInt64) -> UInt64 {
        (register & mask) >> UInt64(lsb)
    }

    /// Returns `register` with this field replaced by `value` (truncated to the field width).
    @inlinable public func insert(_ value: UInt64, into register: UInt64) -> UInt64 {
        (register & ~mask) | ((value << UInt64(lsb)) & mask)
    }

    /// The enumerator name for a field value, if the spec names it.
    public func name(of value: UInt64) -> String? {
        values.first { $0.value == value }?.name
    }
}

/// One register (or an array of identical registers) at a fixed offset in a block.
public struct RegisterDescriptor: Sendable, Equatable {
    /// Register name as the spec spells it.
    public let name: String
    /// Byte offset of the first instance from the start of its block.
    public let offset: Int
    /// Width in bytes: 1, 2, 4 or 8.
    public let width: Int
    /// Value after reset.
    public let reset: UInt64
    /// Fields; bits not covered by any field are reserved.
    public let fields: [FieldDescriptor]
    /// Number of instances (1 for a plain register).
    public let count: Int
    /// Distance in bytes between instances.
    public let stride: Int
    /// Where the spec defines it, e.g. `PCI Local Bus 3.0 §6.2.2`.
    public let specReference: String

    /// Creates a register.
    public init(
        name: String, offset: Int, width: Int, reset: UInt64 = 0, fields: [FieldDescriptor],
        count: Int = 1, stride: Int = 0, specReference: String = ""
    ) {
        self.name = name
        self.offset = offset
        self.width = width
        self.reset = reset
        self.fields = fields
        self.count = count
        self.stride = stride == 0 ? width : stride
        self.specReference = specReference
    }

    /// All bits of the register width.
    @inlinable public var widthMask: UInt64 {
        width >= 8 ? ~UInt64(0) : (UInt64(1) << UInt64(width * 8)) - 1
    }

    /// Bits covered by fields of the given access kinds.
    public func bits(_ kinds: Set<RegisterAccess>) -> UInt64 {
        fields.reduce(0) { kinds.contains($1.access) ? $0 | $1.mask : $0 }
    }

    /// Bits of the fields whose access is `a` or `b` (no set built: register files derive
    /// these masks for thousands of registers whenever a device is created).
    private func bits(_ a: RegisterAccess, or b: RegisterAccess? = nil) -> UInt64 {
        var mask: UInt64 = 0
        for f in fields where f.access == a || f.access == b { mask |= f.mask }
        return mask
    }

    /// Bits a guest write stores (rw and wo).
    public var writableMask: UInt64 { bits(.rw, or: .wo) }
    /// Bits a guest write of one clears.
    public var writeOneToClearMask: UInt64 { bits(.w1c) }
    /// Bits a guest read clears.
    public var readClearMask: UInt64 { bits(.rc) }
    /// Bits that always read as zero (write-only).
    public var writeOnlyMask: UInt64 { bits(.wo) }

    /// Byte offset of instance `index`.
    @inlinable public func offset(ofInstance index: Int) -> Int { offset + index * stride }

    /// The field with the given name.
    public func field(_ name: String) -> FieldDescriptor? { fields.first { $0.name == name } }
}

/// A named group of registers that share a base address (a BAR window, a capability, a header).
public struct RegisterBlock: Sendable, Equatable {
    /// Block name.
    public let name: String
    /// Size in bytes the block spans.
    public let size: Int
    /// Registers, sorted by offset.
    public let registers: [RegisterDescriptor]
    /// Where the spec defines the block.
    public let specReference: String

    /// Creates a block.
    public init(name: String, size: Int, registers: [RegisterDescriptor], specReference: String = "") {
        self.name = name
        self.size = size
        self.registers = registers.sorted { $0.offset < $1.offset }
        self.specReference = specReference
    }

    /// The register with the given name.
    public func register(_ name: String) -> RegisterDescriptor? { registers.first { $0.name == name } }

    /// The register (and instance index) that covers `offset`, if any.
    public func register(covering offset: Int) -> (register: RegisterDescriptor, instance: Int)? {
        for reg in registers where offset >= reg.offset {
            let span = reg.stride * (reg.count - 1) + reg.width
            guard offset < reg.offset + span else { continue }
            let rel = offset - reg.offset
            let instance = rel / reg.stride
            if rel - instance * reg.stride < reg.width { return (reg, instance) }
        }
        return nil
    }
}
