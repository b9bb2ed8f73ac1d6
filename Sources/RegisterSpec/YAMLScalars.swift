import Foundation
import Yams

/// Scalar conversions the spec format uses, with the spellings it documents.
enum YAMLScalars {
    /// Parses `0x1F`, `0b101`, `0o17` or decimal, with optional `_` separators; no sign.
    static func unsigned(_ text: String) -> UInt64? {
        let cleaned = text.replacingOccurrences(of: "_", with: "").lowercased()
        guard !cleaned.isEmpty else { return nil }
        let prefixes: [(String, Int)] = [("0x", 16), ("0b", 2), ("0o", 8)]
        for (prefix, radix) in prefixes where cleaned.hasPrefix(prefix) {
            return UInt64(cleaned.dropFirst(prefix.count), radix: radix)
        }
        guard cleaned.allSatisfy(\.isASCII) else { return nil }
        return UInt64(cleaned, radix: 10)
    }

    /// Parses `true` or `false`.
    static func bool(_ text: String) -> Bool? {
        switch text {
        case "true": return true
        case "false": return false
        default: return nil
        }
    }

    /// Parses `"msb:lsb"` or a single bit number into (msb, lsb).
    static func bits(_ text: String) -> (msb: Int, lsb: Int)? {
        let parts = text.split(separator: ":", omittingEmptySubsequences: false)
            .map { $0.trimmingCharacters(in: .whitespaces) }
        switch parts.count {
        case 1:
            guard let bit = small(parts[0]) else { return nil }
            return (bit, bit)
        case 2:
            guard let msb = small(parts[0]), let lsb = small(parts[1]), msb >= lsb else { return nil }
            return (msb, lsb)
        default:
            return nil
        }
    }

    /// A decimal bit number below 64.
    private static func small(_ text: String) -> Int? {
        guard let value = Int(text), value >= 0, value < 64 else { return nil }
        return value
    }

    /// The scalar text of a node, or nil for mappings and sequences.
    static func text(_ node: Node) -> String? { node.scalar?.string }

    /// The node's 1-based line, if Yams recorded one.
    static func line(_ node: Node) -> Int? { node.mark?.line }
}
