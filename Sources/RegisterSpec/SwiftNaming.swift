/// How spec names become Swift identifiers in generated code.
///
/// Registers and blocks keep their spec spelling as type names (`MessageControl`). Fields and
/// named values become lowerCamel members by lowercasing the leading capital run:
/// - one leading capital is lowercased: `TableSize` -> `tableSize`, `L0sExitLatency` -> `l0sExitLatency`;
/// - an acronym followed by a word keeps the word's capital: `MSIXEnable` -> `msixEnable`,
///   `VFEnable` -> `vfEnable`, `IOSpaceEnable` -> `ioSpaceEnable`;
/// - an acronym followed by a digit, `_` or the end is lowercased whole: `BIR` -> `bir`, `MSI64` -> `msi64`;
/// - the mixed-case acronyms in `mixedCaseAcronyms` count as one word: `PCIeCapabilities` -> `pcieCapabilities`;
/// - a name starting with a digit gets a leading `_`: `64BitCapable` -> `_64BitCapable`;
/// - a result that is a Swift keyword is wrapped in backticks: `Default` -> `` `default` ``;
/// - a field whose result is a member every register namespace already has (`offset`, `width`,
///   `reset`, `count`, `stride`, `descriptor`) gets the suffix `Field`: `Reset` -> `resetField`.
public enum SwiftNaming {
    /// Acronyms with lowercase letters that are lowercased as a whole at the start of a name.
    public static let mixedCaseAcronyms = ["PCIe"]

    /// Names that cannot be used as generated type or member names at all.
    public static let forbiddenNames: Set<String> = ["self", "Self", "init", "Type", "Protocol", "Any", "deinit", "subscript"]

    /// Swift keywords that must be escaped with backticks as member names.
    public static let keywords: Set<String> = [
        "associatedtype", "class", "enum", "extension", "fileprivate", "func", "import", "inout",
        "internal", "let", "open", "operator", "private", "precedencegroup", "protocol", "public",
        "rethrows", "static", "struct", "typealias", "var", "break", "case", "catch", "continue",
        "default", "defer", "do", "else", "fallthrough", "for", "guard", "if", "in", "repeat",
        "return", "throw", "switch", "where", "while", "as", "await", "false", "is", "nil",
        "super", "throws", "true", "try", "some", "any",
    ]

    /// The lowerCamel spelling of a spec name, without keyword escaping.
    public static func lowerCamel(_ name: String) -> String {
        guard let first = name.first else { return name }
        if first.isASCII, first.isNumber { return "_" + name }
        for acronym in mixedCaseAcronyms where name.hasPrefix(acronym) {
            return acronym.lowercased() + name.dropFirst(acronym.count)
        }
        let chars = Array(name)
        var run = 0
        while run < chars.count, chars[run].isASCII, chars[run].isUppercase { run += 1 }
        let lowered: Int
        if run <= 1 || run == chars.count {
            lowered = run
        } else if chars[run].isLowercase {
            lowered = run - 1
        } else {
            lowered = run
        }
        return String(chars[..<lowered]).lowercased() + String(chars[lowered...])
    }

    /// The member identifier for a spec name: lowerCamel, escaped if it is a keyword.
    public static func memberIdentifier(_ name: String) -> String {
        escaped(lowerCamel(name))
    }

    /// Members every generated register namespace defines besides its fields.
    public static let registerMembers: Set<String> = ["offset", "width", "reset", "count", "stride", "descriptor"]

    /// The `BitField` member name for a field: `memberIdentifier`, plus `Field` on a clash with `registerMembers`.
    public static func fieldIdentifier(_ name: String) -> String {
        let base = lowerCamel(name)
        return registerMembers.contains(base) ? base + "Field" : escaped(base)
    }

    /// The UpperCamel type name for a field's value enumeration, e.g. `MaxPayloadSizeValue`.
    public static func valueTypeName(forField name: String) -> String {
        guard let first = name.first else { return "Value" }
        if first.isASCII, first.isNumber { return "_" + name + "Value" }
        return first.uppercased() + name.dropFirst() + "Value"
    }

    /// `name` wrapped in backticks when it is a keyword.
    public static func escaped(_ identifier: String) -> String {
        keywords.contains(identifier) ? "`" + identifier + "`" : identifier
    }

    /// Whether `name` uses only ASCII letters, digits and `_`, and is not empty.
    public static func isIdentifierText(_ name: String) -> Bool {
        !name.isEmpty && name.allSatisfy { $0.isASCII && ($0.isLetter || $0.isNumber || $0 == "_") }
    }

    /// Whether `name` can be a generated type name: identifier text starting with an uppercase letter.
    public static func isTypeName(_ name: String) -> Bool {
        guard isIdentifierText(name), let first = name.first else { return false }
        return first.isUppercase && !forbiddenNames.contains(name)
    }
}
