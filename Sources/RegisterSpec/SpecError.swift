import RegisterModel

/// What is wrong with a register spec, independent of where.
public enum SpecProblemKind: Sendable, Equatable {
    /// The file is not valid YAML.
    case yamlSyntax(String)
    /// A required key is absent.
    case missingKey(String)
    /// A key the format does not define (usually a typo).
    case unknownKey(String)
    /// A key appears twice in one mapping.
    case duplicateKey(String)
    /// A value has the wrong type or form.
    case invalidValue(key: String, value: String, expected: String)
    /// An access kind other than the ones `RegisterAccess` defines.
    case unknownAccess(String)
    /// A register width other than 1, 2, 4 or 8 bytes.
    case badWidth(Int)
    /// An array register whose instances overlap or whose count is below one.
    case badArray(count: Int, stride: Int, width: Int)
    /// A register (instance) extends past the end of the block.
    case registerOutsideBlock(offset: Int, end: Int, blockSize: Int)
    /// Two registers (or instances of array registers) share bytes.
    case overlappingRegisters(other: String, offset: Int)
    /// A field reaches outside its register.
    case fieldOutsideRegister(msb: Int, lsb: Int, registerBits: Int)
    /// Two fields of one register share bits.
    case overlappingFields(other: String, bits: UInt64)
    /// Two registers, fields or values carry the same name (or the same Swift identifier).
    case duplicateName(String)
    /// A name that cannot become a Swift identifier, or that clashes with a generated member.
    case invalidName(String, reason: String)
    /// A reset value with bits beyond the register width.
    case resetTooWide(reset: UInt64, width: Int)
    /// A named field value that does not fit in the field.
    case valueTooWide(name: String, value: UInt64, fieldWidth: Int)
    /// Two spec files generate the same output file.
    case duplicateOutput(path: String, otherSpec: String)
    /// The file could not be read or written.
    case io(String)
}

/// One problem in a register spec, located by file, register and field.
public struct SpecProblem: Error, Sendable, Equatable, CustomStringConvertible {
    /// Spec file path, relative to the repository root when known.
    public let file: String
    /// 1-based line in the file, when known.
    public let line: Int?
    /// Register the problem is in, if any.
    public let register: String?
    /// Field the problem is in, if any.
    public let field: String?
    /// What is wrong.
    public let kind: SpecProblemKind

    /// Creates a problem report.
    public init(file: String, line: Int? = nil, register: String? = nil, field: String? = nil, kind: SpecProblemKind) {
        self.file = file
        self.line = line
        self.register = register
        self.field = field
        self.kind = kind
    }

    /// `file:line: register R, field F: message`, the form compilers use.
    public var description: String {
        var location = file
        if let line { location += ":\(line)" }
        var scope: [String] = []
        if let register { scope.append("register \(register)") }
        if let field { scope.append("field \(field)") }
        let prefix = scope.isEmpty ? location : location + ": " + scope.joined(separator: ", ")
        return prefix + ": " + message
    }

    /// The problem without its location.
    public var message: String {
        switch kind {
        case .yamlSyntax(let text): return "invalid YAML: \(text)"
        case .missingKey(let key): return "missing required key '\(key)'"
        case .unknownKey(let key): return "unknown key '\(key)'"
        case .duplicateKey(let key): return "key '\(key)' appears twice"
        case .invalidValue(let key, let value, let expected):
            return "invalid value '\(value)' for '\(key)': expected \(expected)"
        case .unknownAccess(let access):
            let known = RegisterAccess.allCases.map(\.rawValue).joined(separator: ", ")
            return "unknown access kind '\(access)' (known: \(known))"
        case .badWidth(let width): return "width \(width) is not 1, 2, 4 or 8 bytes"
        case .badArray(let count, let stride, let width):
            return "array of \(count) with stride \(stride) and width \(width): "
                + (count < 1 ? "count must be at least 1" : "instances overlap (stride < width)")
        case .registerOutsideBlock(let offset, let end, let blockSize):
            return "bytes \(hex(offset))..<\(hex(end)) lie outside the block size \(hex(blockSize))"
        case .overlappingRegisters(let other, let offset):
            return "overlaps register \(other) at offset \(hex(offset))"
        case .fieldOutsideRegister(let msb, let lsb, let registerBits):
            return "bits \(msb):\(lsb) lie outside the \(registerBits)-bit register"
        case .overlappingFields(let other, let bits):
            return "overlaps field \(other) (bits \(hex(bits)))"
        case .duplicateName(let name): return "duplicate name '\(name)'"
        case .invalidName(let name, let reason): return "invalid name '\(name)': \(reason)"
        case .resetTooWide(let reset, let width):
            return "reset value \(hex(reset)) does not fit in \(width) byte(s)"
        case .valueTooWide(let name, let value, let fieldWidth):
            return "value \(name) = \(value) does not fit in \(fieldWidth) bit(s)"
        case .duplicateOutput(let path, let otherSpec):
            return "generates \(path), which \(otherSpec) also generates"
        case .io(let text): return text
        }
    }
}

/// One or more problems found in register specs; thrown by the loader, validator and generator.
public struct SpecError: Error, Sendable, Equatable, CustomStringConvertible {
    /// The problems, in file order; never empty.
    public let problems: [SpecProblem]

    /// Wraps problems (callers pass at least one).
    public init(_ problems: [SpecProblem]) { self.problems = problems }

    /// One problem per line.
    public var description: String { problems.map(\.description).joined(separator: "\n") }
}

/// `0x`-prefixed uppercase hexadecimal.
func hex<T: BinaryInteger>(_ value: T) -> String { "0x" + String(value, radix: 16, uppercase: true) }
