import RegisterModel

/// Checks a loaded spec for layout mistakes the type system cannot catch.
///
/// Every rule reports a `SpecProblem` naming the file, register and field, so a failing
/// `devspec-gen` run reads like compiler output.
public enum SpecValidator {
    /// Register widths the format allows, in bytes.
    public static let allowedWidths: Set<Int> = [1, 2, 4, 8]

    /// All problems in `spec`, in register order; empty when the spec is valid.
    public static func problems(in spec: DeviceSpec) -> [SpecProblem] {
        problems(in: spec, locations: SpecLocations())
    }

    /// Throws every problem in `spec`, if any.
    public static func validate(_ spec: DeviceSpec) throws(SpecError) {
        let found = problems(in: spec)
        if !found.isEmpty { throw SpecError(found) }
    }

    static func problems(in spec: DeviceSpec, locations: SpecLocations) -> [SpecProblem] {
        var checker = Checker(file: spec.sourcePath, locations: locations)
        checker.checkBlock(spec)
        for register in spec.block.registers { checker.checkRegister(register, blockSize: spec.block.size) }
        checker.checkOverlaps(spec.block.registers)
        return checker.problems
    }
}

/// Accumulates problems for one spec.
private struct Checker {
    let file: String
    let locations: SpecLocations
    var problems: [SpecProblem] = []

    init(file: String, locations: SpecLocations) {
        self.file = file
        self.locations = locations
    }

    mutating func add(_ kind: SpecProblemKind, register: String? = nil, field: String? = nil) {
        var line: Int?
        if let register {
            let base = register.split(separator: "[").first.map(String.init) ?? register
            line = field.flatMap { locations.fields[base + "." + $0] } ?? locations.registers[base]
        }
        problems.append(SpecProblem(file: file, line: line, register: register, field: field, kind: kind))
    }

    mutating func checkBlock(_ spec: DeviceSpec) {
        if !SwiftNaming.isTypeName(spec.block.name) {
            add(
                .invalidName(
                    spec.block.name, reason: "a block name must be a Swift type name (A-Z first, then letters, digits, _)"))
        }
        if !SwiftNaming.isTypeName(spec.module) {
            add(.invalidName(spec.module, reason: "a module name must be a Swift module name"))
        }
        if spec.block.size <= 0 {
            add(.invalidValue(key: "size", value: "\(spec.block.size)", expected: "a positive size in bytes"))
        }
        var seen: Set<String> = []
        for register in spec.block.registers where !seen.insert(register.name).inserted {
            add(.duplicateName(register.name), register: register.name)
        }
    }

    mutating func checkRegister(_ register: RegisterDescriptor, blockSize: Int) {
        let name = register.name
        if !SwiftNaming.isTypeName(name) {
            add(
                .invalidName(name, reason: "a register name must be a Swift type name (A-Z first, then letters, digits, _)"),
                register: name)
        }
        guard SpecValidator.allowedWidths.contains(register.width) else {
            add(.badWidth(register.width), register: name)
            return
        }
        if register.reset & ~register.widthMask != 0 {
            add(.resetTooWide(reset: register.reset, width: register.width), register: name)
        }
        if register.count < 1 || (register.count > 1 && register.stride < register.width) {
            add(.badArray(count: register.count, stride: register.stride, width: register.width), register: name)
        } else {
            let end = register.offset(ofInstance: register.count - 1) + register.width
            if register.offset < 0 || end > blockSize {
                add(.registerOutsideBlock(offset: register.offset, end: end, blockSize: blockSize), register: name)
            }
        }
        checkFields(of: register)
    }

    mutating func checkFields(of register: RegisterDescriptor) {
        let bits = register.width * 8
        var identifiers: Set<String> = []
        for (index, field) in register.fields.enumerated() {
            let identifier = SwiftNaming.fieldIdentifier(field.name)
            if !SwiftNaming.isIdentifierText(field.name) || SwiftNaming.forbiddenNames.contains(identifier) {
                add(
                    .invalidName(field.name, reason: "a field name must use only letters, digits and _"),
                    register: register.name, field: field.name)
            } else if !identifiers.insert(identifier).inserted {
                add(.duplicateName(field.name), register: register.name, field: field.name)
            }
            let msb = field.lsb + field.width - 1
            if field.lsb < 0 || field.width < 1 || msb >= bits {
                add(
                    .fieldOutsideRegister(msb: msb, lsb: field.lsb, registerBits: bits),
                    register: register.name, field: field.name)
                continue
            }
            for other in register.fields[..<index] where other.mask & field.mask != 0 {
                add(
                    .overlappingFields(other: other.name, bits: other.mask & field.mask),
                    register: register.name, field: field.name)
            }
            checkValues(of: field, register: register.name)
        }
    }

    mutating func checkValues(of field: FieldDescriptor, register: String) {
        var names: Set<String> = []
        for value in field.values {
            let identifier = SwiftNaming.lowerCamel(value.name)
            if !SwiftNaming.isIdentifierText(value.name) || SwiftNaming.forbiddenNames.contains(identifier) {
                add(
                    .invalidName(value.name, reason: "a value name must use only letters, digits and _"),
                    register: register, field: field.name)
            } else if !names.insert(identifier).inserted {
                add(.duplicateName(value.name), register: register, field: field.name)
            }
            if field.width < 64, value.value >> UInt64(field.width) != 0 {
                add(
                    .valueTooWide(name: value.name, value: value.value, fieldWidth: field.width),
                    register: register, field: field.name)
            }
        }
    }

    /// Reports each pair of registers whose instances share a byte (once per pair).
    mutating func checkOverlaps(_ registers: [RegisterDescriptor]) {
        let valid = registers.filter {
            SpecValidator.allowedWidths.contains($0.width) && $0.count >= 1 && $0.count <= 4096
        }
        for (index, register) in valid.enumerated() {
            pairs: for earlier in valid[..<index] {
                for a in 0..<earlier.count {
                    let aStart = earlier.offset(ofInstance: a)
                    for b in 0..<register.count {
                        let bStart = register.offset(ofInstance: b)
                        if aStart < bStart + register.width, bStart < aStart + earlier.width {
                            add(
                                .overlappingRegisters(other: describe(earlier, a), offset: max(aStart, bStart)),
                                register: describe(register, b))
                            continue pairs
                        }
                    }
                }
            }
        }
    }

    private func describe(_ register: RegisterDescriptor, _ instance: Int) -> String {
        register.count > 1 ? "\(register.name)[\(instance)]" : register.name
    }
}
