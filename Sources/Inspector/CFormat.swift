import Foundation

/// C `printf` conversions Swift has no direct spelling for.
enum CFormat {
    /// `%g`: six significant digits, trailing zeros removed, exponent form for very small or
    /// large values.
    static func g(_ value: Double) -> String {
        String(format: "%g", value)
    }
}
