import RegisterModel
import Yams

/// Where registers and fields appear in the YAML, so later checks can report line numbers.
struct SpecLocations: Sendable {
    /// Line of each register entry, by register name.
    var registers: [String: Int] = [:]
    /// Line of each field entry, by `register.field`.
    var fields: [String: Int] = [:]
}

/// Turns one YAML document into a `DeviceSpec`, collecting every structural problem it meets.
struct SpecParser {
    /// Path used in problem reports.
    let file: String
    /// Problems found so far.
    private(set) var problems: [SpecProblem] = []
    /// Lines of registers and fields.
    private(set) var locations = SpecLocations()

    init(file: String) { self.file = file }

    /// Appends a problem.
    mutating func record(_ problem: SpecProblem) { problems.append(problem) }

    static let blockKeys: Set<String> = ["block", "module", "size", "spec", "summary", "capability", "registers"]
    static let capabilityKeys: Set<String> = ["id", "extended", "version"]
    static let registerKeys: Set<String> = [
        "name", "offset", "width", "reset", "count", "stride", "spec", "summary", "fields",
    ]
    static let fieldKeys: Set<String> = ["name", "bits", "access", "summary", "values"]

    /// Parses the document; returns nil when it is too broken to describe a block.
    mutating func parse(_ yaml: String) -> DeviceSpec? {
        let root: Node?
        do {
            root = try Yams.compose(yaml: yaml)
        } catch {
            report(.yamlSyntax(String(describing: error)), at: nil)
            return nil
        }
        guard let root else {
            report(.yamlSyntax("the document is empty"), at: nil)
            return nil
        }
        guard let top = mapping(root, allowed: Self.blockKeys, scope: Scope()) else { return nil }
        let scope = Scope()
        let name = string(top, "block", scope: scope)
        let module = string(top, "module", scope: scope)
        let size = integer(top, "size", scope: scope)
        let spec = string(top, "spec", scope: scope, default: "")
        let summary = string(top, "summary", scope: scope, default: "")
        let capability = top["capability"].flatMap { parseCapability($0) }
        var registers: [RegisterDescriptor] = []
        var registerSummaries: [String: String] = [:]
        if let list = sequence(top, "registers", scope: scope) {
            for node in list {
                guard let (register, summary) = parseRegister(node) else { continue }
                registers.append(register)
                if !summary.isEmpty { registerSummaries[register.name] = summary }
            }
        }
        guard let name, let module, let size, let spec, let summary else { return nil }
        let block = RegisterBlock(name: name, size: Int(clamping: size), registers: registers, specReference: spec)
        return DeviceSpec(
            sourcePath: file, module: module, block: block, summary: summary,
            capability: capability, registerSummaries: registerSummaries)
    }

    private mutating func parseCapability(_ node: Node) -> CapabilitySpec? {
        let scope = Scope()
        guard let map = mapping(node, allowed: Self.capabilityKeys, scope: scope) else { return nil }
        let id = integer(map, "id", scope: scope)
        let extended = boolean(map, "extended", scope: scope, default: false)
        let version = integer(map, "version", scope: scope, default: 0)
        guard let id, let extended, let version else { return nil }
        let idLimit: UInt64 = extended ? 0xFFFF : 0xFF
        guard id <= idLimit else {
            report(.invalidValue(key: "id", value: hex(id), expected: "at most \(hex(idLimit))"), at: map["id"])
            return nil
        }
        let versionLimit: UInt64 = extended ? 0xF : 0xFF
        guard version <= versionLimit else {
            report(
                .invalidValue(key: "version", value: "\(version)", expected: "at most \(versionLimit)"),
                at: map["version"])
            return nil
        }
        return CapabilitySpec(id: UInt16(id), isExtended: extended, version: UInt8(version))
    }

    private mutating func parseRegister(_ node: Node) -> (RegisterDescriptor, String)? {
        var scope = Scope()
        guard let map = mapping(node, allowed: Self.registerKeys, scope: scope, naming: \.register) else { return nil }
        let name = string(map, "name", scope: scope)
        scope.register = name
        if let name, let line = YAMLScalars.line(node) { locations.registers[name] = line }
        let offset = integer(map, "offset", scope: scope)
        let width = integer(map, "width", scope: scope)
        let reset = integer(map, "reset", scope: scope, default: 0)
        let count = integer(map, "count", scope: scope, default: 1)
        let stride = integer(map, "stride", scope: scope, default: width ?? 1)
        let spec = string(map, "spec", scope: scope, default: "")
        let summary = string(map, "summary", scope: scope, default: "")
        var fields: [FieldDescriptor] = []
        if map["fields"] != nil, let list = sequence(map, "fields", scope: scope) {
            for fieldNode in list {
                if let field = parseField(fieldNode, scope: scope) { fields.append(field) }
            }
        }
        guard let name, let offset, let width, let reset, let count, let stride, let spec, let summary else {
            return nil
        }
        if stride == 0 {
            report(
                .invalidValue(key: "stride", value: "0", expected: "a positive byte distance"),
                at: map["stride"], scope: scope)
            return nil
        }
        fields.sort { $0.lsb < $1.lsb }
        let register = RegisterDescriptor(
            name: name, offset: Int(clamping: offset), width: Int(clamping: width), reset: reset,
            fields: fields, count: Int(clamping: count), stride: Int(clamping: stride), specReference: spec)
        return (register, summary)
    }

    private mutating func parseField(_ node: Node, scope outer: Scope) -> FieldDescriptor? {
        var scope = outer
        guard let map = mapping(node, allowed: Self.fieldKeys, scope: scope, naming: \.field) else { return nil }
        let name = string(map, "name", scope: scope)
        scope.field = name
        if let name, let register = scope.register, let line = YAMLScalars.line(node) {
            locations.fields[register + "." + name] = line
        }
        let bitsText = string(map, "bits", scope: scope)
        let accessText = string(map, "access", scope: scope)
        let summary = string(map, "summary", scope: scope, default: "")
        let values = map["values"].map { parseValues($0, scope: scope) } ?? []
        guard let name, let bitsText, let accessText, let summary else { return nil }
        guard let bits = YAMLScalars.bits(bitsText) else {
            report(
                .invalidValue(key: "bits", value: bitsText, expected: "\"msb:lsb\" or a bit number below 64"),
                at: map["bits"], scope: scope)
            return nil
        }
        guard let access = RegisterAccess(rawValue: accessText) else {
            report(.unknownAccess(accessText), at: map["access"], scope: scope)
            return nil
        }
        return FieldDescriptor(
            name: name, lsb: bits.lsb, width: bits.msb - bits.lsb + 1, access: access,
            values: values, summary: summary)
    }

    private mutating func parseValues(_ node: Node, scope: Scope) -> [FieldValue] {
        guard let map = node.mapping else {
            report(.invalidValue(key: "values", value: "", expected: "a mapping of name: number"), at: node, scope: scope)
            return []
        }
        var values: [FieldValue] = []
        for (keyNode, valueNode) in map {
            guard let name = YAMLScalars.text(keyNode), let text = YAMLScalars.text(valueNode),
                let value = YAMLScalars.unsigned(text)
            else {
                report(
                    .invalidValue(
                        key: "values", value: YAMLScalars.text(valueNode) ?? "",
                        expected: "name: unsigned number"), at: valueNode, scope: scope)
                continue
            }
            values.append(FieldValue(name: name, value: value))
        }
        return values
    }
}
