#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// C `printf` conversions Swift has no direct spelling for.
enum CFormat {
    /// `%g`: six significant digits, trailing zeros removed, exponent form for very small or
    /// large values. The C library's own conversion (in the "C" locale, as lspci runs), not
    /// Foundation's, which builds an `NSString` per call.
    static func g(_ value: Double) -> String {
        // "%g" of a double is at most 13 characters ("-1.23457e-308").
        withUnsafeTemporaryAllocation(of: CChar.self, capacity: 32) { buffer in
            guard let base = buffer.baseAddress else { return "" }
            let written = withVaList([value]) { vsnprintf(base, 32, "%g", $0) }
            guard written > 0 else { return "" }
            return String(decoding: UnsafeRawBufferPointer(start: base, count: min(Int(written), 31)), as: UTF8.self)
        }
    }
}
