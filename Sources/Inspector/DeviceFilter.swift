import PCIe

/// lspci's `-s [[[[domain]:]bus]:][slot][.[func]]` and `-d [vendor]:[device][:class]` filters.
/// An omitted or `*` part matches anything.
public struct DeviceFilter: Sendable, Equatable {
    /// Required domain, or any.
    public var domain: UInt16?
    /// Required bus, or any.
    public var bus: UInt8?
    /// Required device (slot) number, or any.
    public var slot: UInt8?
    /// Required function number, or any.
    public var function: UInt8?
    /// Required vendor id (as the OS reports it: a VF's is its PF's), or any.
    public var vendor: UInt16?
    /// Required device id, or any.
    public var device: UInt16?
    /// Required class (base class << 8 | subclass), or any.
    public var classCode: UInt16?

    /// A filter that matches everything.
    public init() {}

    /// Why a filter text was refused (lspci's wording).
    public struct ParseError: Error, Equatable, CustomStringConvertible {
        /// `Invalid bus number`, `':' expected`, ...
        public let message: String
        /// The message.
        public var description: String { message }
    }

    /// Applies an `-s` slot text.
    public mutating func parseSlot(_ text: String) throws(ParseError) {
        var head = Substring(text)
        var mid = head
        if let colon = head.lastIndex(of: ":") {
            mid = head[head.index(after: colon)...]
            head = head[..<colon]
            var busText = head
            if let colon2 = head.firstIndex(of: ":") {
                busText = head[head.index(after: colon2)...]
                domain = try Self.number(head[..<colon2], max: 0xffff, "Invalid domain number").map { UInt16($0) }
            }
            bus = try Self.number(busText, max: 0xff, "Invalid bus number").map { UInt8($0) }
        }
        var functionText: Substring?
        if let dot = mid.firstIndex(of: ".") {
            functionText = mid[mid.index(after: dot)...]
            mid = mid[..<dot]
        }
        slot = try Self.number(mid, max: 0x1f, "Invalid slot number").map { UInt8($0) }
        if let functionText {
            function = try Self.number(functionText, max: 7, "Invalid function number").map { UInt8($0) }
        }
    }

    /// Applies a `-d` id text.
    public mutating func parseID(_ text: String) throws(ParseError) {
        guard !text.isEmpty else { return }
        guard let colon = text.firstIndex(of: ":") else { throw ParseError(message: "':' expected") }
        vendor = try Self.number(text[..<colon], max: 0xffff, "Invalid vendor ID").map { UInt16($0) }
        var rest = text[text.index(after: colon)...]
        var classText: Substring?
        if let colon2 = rest.firstIndex(of: ":") {
            classText = rest[rest.index(after: colon2)...]
            rest = rest[..<colon2]
        }
        device = try Self.number(rest, max: 0xffff, "Invalid device ID").map { UInt16($0) }
        if let classText {
            classCode = try Self.number(classText, max: 0xffff, "Invalid class code").map { UInt16($0) }
        }
    }

    /// Whether `function` passes every part of the filter.
    public func matches(_ function: ListedFunction) -> Bool {
        let s = function.snapshot
        let classCode = UInt16(truncatingIfNeeded: s.classCode24 >> 8)
        return (domain.map { $0 == function.domain } ?? true) && (bus.map { $0 == s.bdf.bus } ?? true)
            && (slot.map { $0 == s.bdf.device } ?? true) && (self.function.map { $0 == s.bdf.function } ?? true)
            && (vendor.map { $0 == s.vendorID } ?? true) && (device.map { $0 == s.deviceID } ?? true)
            && (self.classCode.map { $0 == classCode } ?? true)
    }

    /// Empty or `*`: no constraint; else hex up to `max`.
    private static func number(_ text: Substring, max: UInt32, _ message: String) throws(ParseError) -> UInt32? {
        guard !text.isEmpty, text != "*" else { return nil }
        let digits = text.hasPrefix("0x") || text.hasPrefix("0X") ? text.dropFirst(2) : text
        guard let value = UInt32(digits, radix: 16), value <= max else { throw ParseError(message: message) }
        return value
    }
}
