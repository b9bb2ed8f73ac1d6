/// Builds indented Swift source line by line.
struct SourceWriter {
    /// The text so far.
    private(set) var text = ""
    private var depth = 0

    /// Appends one line at the current indentation (an empty call appends a blank line).
    mutating func line(_ content: String = "") {
        text += content.isEmpty ? "\n" : String(repeating: "    ", count: depth) + content + "\n"
    }

    /// Appends a `///` doc comment line; whitespace runs and newlines in `content` become single spaces.
    mutating func doc(_ content: String) {
        let flat = content.split(whereSeparator: { $0.isWhitespace }).joined(separator: " ")
        line(flat.isEmpty ? "///" : "/// " + flat)
    }

    /// Opens a `{` scope.
    mutating func open(_ declaration: String) {
        line(declaration + " {")
        depth += 1
    }

    /// Closes the innermost scope.
    mutating func close() {
        depth -= 1
        line("}")
    }

    /// Writes `body` one level deeper.
    mutating func indented(_ body: (inout SourceWriter) -> Void) {
        depth += 1
        body(&self)
        depth -= 1
    }
}

/// A Swift string literal for `text`.
func literal(_ text: String) -> String {
    var out = "\""
    for scalar in text.unicodeScalars {
        switch scalar {
        case "\\": out += "\\\\"
        case "\"": out += "\\\""
        case "\n": out += "\\n"
        case "\t": out += "\\t"
        case "\r": out += "\\r"
        default:
            if scalar.value < 0x20 || scalar.value == 0x7F {
                out += "\\u{" + String(scalar.value, radix: 16) + "}"
            } else {
                out.unicodeScalars.append(scalar)
            }
        }
    }
    return out + "\""
}

/// `0x`-prefixed uppercase hex, zero-padded to at least `digits` digits.
func hexLiteral<T: BinaryInteger>(_ value: T, digits: Int) -> String {
    let body = String(value, radix: 16, uppercase: true)
    return "0x" + String(repeating: "0", count: max(0, digits - body.count)) + body
}
