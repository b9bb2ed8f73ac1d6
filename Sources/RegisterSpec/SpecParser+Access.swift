import Yams

/// Which register and field a parse step is inside, for problem reports.
struct Scope {
    var register: String?
    var field: String?
}

extension SpecParser {
    /// Records a problem at a node's line.
    mutating func report(_ kind: SpecProblemKind, at node: Node?, scope: Scope = Scope()) {
        let line = node.flatMap(YAMLScalars.line)
        record(SpecProblem(file: file, line: line, register: scope.register, field: scope.field, kind: kind))
    }

    /// Reads a mapping with string keys, reporting unknown and duplicate keys.
    ///
    /// With `naming`, the mapping's own `name:` value is put into the scope first, so problems
    /// with a register's or field's keys name that register or field.
    mutating func mapping(
        _ node: Node, allowed: Set<String>, scope outer: Scope, naming: WritableKeyPath<Scope, String?>? = nil
    ) -> [String: Node]? {
        var scope = outer
        if let naming, let name = node.mapping?["name"].flatMap(YAMLScalars.text) { scope[keyPath: naming] = name }
        guard let map = node.mapping else {
            let expected = "a mapping with keys " + allowed.sorted().joined(separator: ", ")
            report(
                .invalidValue(key: "entry", value: YAMLScalars.text(node) ?? "", expected: expected),
                at: node, scope: scope)
            return nil
        }
        var result: [String: Node] = [:]
        for (keyNode, value) in map {
            guard let key = YAMLScalars.text(keyNode) else {
                report(.invalidValue(key: "key", value: "", expected: "a plain key"), at: keyNode, scope: scope)
                continue
            }
            if !allowed.contains(key) {
                report(.unknownKey(key), at: keyNode, scope: scope)
            } else if result[key] != nil {
                report(.duplicateKey(key), at: keyNode, scope: scope)
            } else {
                result[key] = value
            }
        }
        return result
    }

    /// A required string; reports and returns nil when missing or not a scalar.
    mutating func string(_ map: [String: Node], _ key: String, scope: Scope) -> String? {
        guard let node = map[key] else {
            report(.missingKey(key), at: nil, scope: scope)
            return nil
        }
        return scalar(node, key, scope: scope)
    }

    /// An optional string with a default.
    mutating func string(_ map: [String: Node], _ key: String, scope: Scope, default value: String) -> String? {
        guard let node = map[key] else { return value }
        return scalar(node, key, scope: scope)
    }

    /// A required unsigned integer.
    mutating func integer(_ map: [String: Node], _ key: String, scope: Scope) -> UInt64? {
        guard let text = string(map, key, scope: scope) else { return nil }
        return number(text, key, node: map[key], scope: scope)
    }

    /// An optional unsigned integer with a default.
    mutating func integer(_ map: [String: Node], _ key: String, scope: Scope, default value: UInt64) -> UInt64? {
        guard map[key] != nil else { return value }
        return integer(map, key, scope: scope)
    }

    /// An optional boolean with a default.
    mutating func boolean(_ map: [String: Node], _ key: String, scope: Scope, default value: Bool) -> Bool? {
        guard let node = map[key] else { return value }
        guard let text = scalar(node, key, scope: scope) else { return nil }
        guard let result = YAMLScalars.bool(text) else {
            report(.invalidValue(key: key, value: text, expected: "true or false"), at: node, scope: scope)
            return nil
        }
        return result
    }

    /// A required sequence.
    mutating func sequence(_ map: [String: Node], _ key: String, scope: Scope) -> [Node]? {
        guard let node = map[key] else {
            report(.missingKey(key), at: nil, scope: scope)
            return nil
        }
        guard let list = node.sequence else {
            report(
                .invalidValue(key: key, value: YAMLScalars.text(node) ?? "", expected: "a list"),
                at: node, scope: scope)
            return nil
        }
        return Array(list)
    }

    private mutating func scalar(_ node: Node, _ key: String, scope: Scope) -> String? {
        guard let text = YAMLScalars.text(node) else {
            report(.invalidValue(key: key, value: "", expected: "a scalar"), at: node, scope: scope)
            return nil
        }
        return text
    }

    private mutating func number(_ text: String, _ key: String, node: Node?, scope: Scope) -> UInt64? {
        guard let value = YAMLScalars.unsigned(text) else {
            report(
                .invalidValue(key: key, value: text, expected: "an unsigned number (0x.., 0b.. or decimal)"),
                at: node, scope: scope)
            return nil
        }
        return value
    }
}
