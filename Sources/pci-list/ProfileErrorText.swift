import Host

/// Turns a profile error into one message that names the file and, where the YAML parser or
/// decoder knows it, the line or key at fault.
enum ProfileErrorText {
    static func describe(_ error: HostError, source: String) -> String {
        switch error {
        case .invalidProfile(let file, let why):
            return "\(file): \(condense(why))"
        case .inconsistentProfile(let problems):
            return "\(source): " + problems.joined(separator: "; ")
        case .unknownProfile, .platform:
            return error.description
        }
    }

    /// Yams and `DecodingError` texts are long Swift dumps; keep what locates the problem.
    static func condense(_ text: String) -> String {
        var parts: [String] = []
        if let line = firstNumber(after: "line ", in: text) {
            var location = "line \(line)"
            if let column = firstNumber(after: "column ", in: text) { location += ", column \(column)" }
            parts.append(location)
        }
        let keys = quotedKeys(in: text)
        if !keys.isEmpty { parts.append("at " + keys.joined(separator: ".")) }
        if let description = between("debugDescription: \"", "\"", in: text) {
            parts.append(description)
        } else if let problem = between("problem: ", "\n", in: text) {
            parts.append(problem)
        } else if parts.isEmpty {
            parts.append(text)
        }
        return parts.joined(separator: ": ")
    }

    private static func firstNumber(after marker: String, in text: String) -> Int? {
        guard let range = text.range(of: marker) else { return nil }
        return Int(text[range.upperBound...].prefix { $0.isNumber })
    }

    private static func between(_ start: String, _ end: String, in text: String) -> String? {
        guard let from = text.range(of: start) else { return nil }
        let rest = text[from.upperBound...]
        let value = rest.range(of: end).map { rest[..<$0.lowerBound] } ?? rest
        return value.isEmpty ? nil : String(value)
    }

    /// `CodingKeys(stringValue: "kind"` / `_CodingKey(stringValue: "Index 2"` → `kind`, `2`.
    private static func quotedKeys(in text: String) -> [String] {
        var keys: [String] = []
        var rest = Substring(text)
        while let range = rest.range(of: "stringValue: \"") {
            let after = rest[range.upperBound...]
            guard let end = after.firstIndex(of: "\"") else { break }
            let key = after[..<end]
            keys.append(key.hasPrefix("Index ") ? String(key.dropFirst(6)) : String(key))
            rest = after[end...]
        }
        return keys
    }
}
