import Foundation
import Host

/// Turns a profile error into one message that names the file and the line (and key) at fault.
enum ProfileErrorText {
    static func describe(_ error: HostError, source: String) -> String {
        switch error {
        case .invalidProfile(let file, let why):
            let text = (try? String(contentsOfFile: file, encoding: .utf8)) ?? ""
            return "\(file): \(condense(why, yaml: text))"
        case .inconsistentProfile(let problems):
            return "\(source): " + problems.joined(separator: "; ")
        case .unknownProfile, .platform:
            return error.description
        }
    }

    /// Keeps what locates the problem from a Yams or `DecodingError` text: `line L, column C`,
    /// the key path (with the line of that entry in `yaml`), and the reason.
    static func condense(_ why: String, yaml: String) -> String {
        if let range = why.range(of: "Underlying error: ") {
            let parser = why[range.upperBound...]
            let head = parser.split(separator: ":", maxSplits: 3, omittingEmptySubsequences: false)
            if head.count == 4, let line = Int(head[0]), let column = Int(head[1]) {
                let reason = head[3].split(separator: "\n").prefix(2).map {
                    $0.trimmingCharacters(in: .whitespaces).replacingOccurrences(of: "parser: ", with: "")
                }
                return "line \(line), column \(column): " + reason.reversed().joined(separator: ", ")
            }
            return String(parser)
        }
        var parts: [String] = []
        if let path = between("Path: ", ". ", in: why) {
            if let line = line(of: path, in: yaml) { parts.append("line \(line)") }
            parts.append(path)
        }
        if let key = between("Key '", "'", in: why), why.contains("keyNotFound") {
            parts.append("missing key '\(key)'")
        } else if let reason = between("Debug description: ", "\n", in: why) {
            parts.append(reason.hasSuffix(".") ? String(reason.dropLast()) : reason)
        } else {
            parts.append(why)
        }
        return parts.joined(separator: ": ")
    }

    /// The line of a decoding path such as `devices[1].kind`: the entry's line under its key,
    /// or the key's own line.
    static func line(of path: String, in yaml: String) -> Int? {
        let lines = yaml.split(separator: "\n", omittingEmptySubsequences: false)
        guard let first = path.split(separator: ".").first else { return nil }
        let key = first.prefix { $0 != "[" }
        guard let keyLine = lines.firstIndex(where: { $0.hasPrefix(key + ":") }) else { return nil }
        guard let open = first.firstIndex(of: "["), let index = Int(first[first.index(after: open)...].prefix { $0.isNumber })
        else { return keyLine + 1 }
        var seen = -1
        for number in (keyLine + 1)..<lines.count where lines[number].trimmingCharacters(in: .whitespaces).hasPrefix("- ") {
            seen += 1
            if seen == index { return number + 1 }
        }
        return nil
    }

    private static func between(_ start: String, _ end: String, in text: String) -> String? {
        guard let from = text.range(of: start) else { return nil }
        let rest = text[from.upperBound...]
        let value = rest.range(of: end).map { rest[..<$0.lowerBound] } ?? rest
        return value.isEmpty ? nil : String(value)
    }
}
