import CLibPCI
import Foundation

/// Why the libpci name database could not be opened.
public enum PCINameDatabaseError: Error, Equatable, CustomStringConvertible {
    /// `pci_alloc` failed or libpci reported a fatal error while opening; the message is libpci's.
    case cannotOpen(idsPath: String?, message: String)

    public var description: String {
        switch self {
        case .cannotOpen(let path, let message):
            "cannot open the PCI id database \(path ?? "(libpci default)"): \(message)"
        }
    }
}

/// How lspci shows ids: names (default), numbers only (`-n`), or both (`-nn`).
public enum PCINameStyle: Sendable, Hashable {
    /// `Intel Corporation 82599ES ...`, falling back to `Device 10fb` for unknown ids.
    case names
    /// `8086:10fb` (lspci `-n`).
    case numeric
    /// `Intel Corporation 82599ES ... [8086:10fb]` (lspci `-nn`).
    case mixed
}

/// The pci.ids database through libpci, opened once, with every lookup cached.
///
/// Raw lookups (`vendorName`, `deviceName`, ...) return `nil` for ids the database does not know.
/// The `...Text` methods format the way lspci prints, including its fallbacks for unknown ids
/// (`Device 1234`, `Class ff00`, `Unknown vendor 1234`). Thread-safe: one lock guards the handle
/// and the cache.
public final class PCINameDatabase: @unchecked Sendable {
    private let handle: OpaquePointer
    private let lock = NSLock()
    private var cache: [CacheKey: String?] = [:]
    /// The `...Text` answers the formatter asks for on every listing (class, device, subsystem),
    /// as made from the cached names; emptied when it reaches ``textCacheLimit`` entries.
    private var textCache: [TextKey: String] = [:]
    static let textCacheLimit = 4096

    private enum TextKey: Hashable {
        case classCode(UInt16, PCINameStyle)
        case device(UInt16, UInt16, PCINameStyle)
        case subsystem(UInt16, UInt16, UInt16, UInt16, PCINameStyle)
    }

    private enum CacheKey: Hashable {
        case vendor(UInt16)
        case device(UInt16, UInt16)
        case classCode(UInt16)
        case progIf(UInt16, UInt8)
        case subsystem(UInt16, UInt16, UInt16, UInt16)
    }

    /// The database at libpci's default location, or `nil` when it cannot be opened.
    public static let shared: PCINameDatabase? = try? PCINameDatabase()

    /// Opens libpci's name list; `idsPath` overrides the default `pci.ids` location.
    public init(idsPath: String? = nil) throws(PCINameDatabaseError) {
        let opened: OpaquePointer? =
            if let idsPath { idsPath.withCString { clibpci_open($0) } } else { clibpci_open(nil) }
        guard let opened else {
            throw .cannotOpen(idsPath: idsPath, message: String(cString: clibpci_last_error()))
        }
        handle = opened
    }

    deinit { clibpci_close(handle) }

    // MARK: Raw lookups

    /// The vendor's name, e.g. `Intel Corporation` for 0x8086.
    public func vendorName(_ vendor: UInt16) -> String? {
        lookup(.vendor(vendor)) { h, buf, len in clibpci_vendor_name(h, UInt32(vendor), buf, len) }
    }

    /// The device's name without its vendor, e.g. `Elastic Network Adapter (ENA)` for 1d0f:ec20.
    public func deviceName(vendor: UInt16, device: UInt16) -> String? {
        lookup(.device(vendor, device)) { h, buf, len in
            clibpci_device_name(h, UInt32(vendor), UInt32(device), buf, len)
        }
    }

    /// The class name for `classCode` (base class << 8 | subclass): the subclass's name, or when
    /// only the base class is known, libpci's `Base name [ccss]`.
    public func className(_ classCode: UInt16) -> String? {
        lookup(.classCode(classCode)) { h, buf, len in clibpci_class_name(h, UInt32(classCode), buf, len) }
    }

    /// The programming interface's name, e.g. `NVM Express` for class 0x0108, prog-if 0x02.
    public func progIfName(classCode: UInt16, progIf: UInt8) -> String? {
        lookup(.progIf(classCode, progIf)) { h, buf, len in
            clibpci_progif_name(h, UInt32(classCode), UInt32(progIf), buf, len)
        }
    }

    /// The subsystem's name as lspci resolves it (per device, generic, or the device itself).
    public func subsystemName(
        vendor: UInt16, device: UInt16, subsystemVendor: UInt16, subsystemDevice: UInt16
    ) -> String? {
        lookup(.subsystem(vendor, device, subsystemVendor, subsystemDevice)) { h, buf, len in
            clibpci_subsystem_name(
                h, UInt32(vendor), UInt32(device), UInt32(subsystemVendor), UInt32(subsystemDevice), buf, len)
        }
    }

    // MARK: lspci-style text

    /// `Vendor Device` as lspci's one-line listing prints it, with lspci's fallbacks.
    public func vendorDeviceText(vendor: UInt16, device: UInt16, style: PCINameStyle = .names) -> String {
        cachedText(.device(vendor, device, style)) {
            pairText(
                vendor: vendorName(vendor), device: deviceName(vendor: vendor, device: device),
                number: PCINameDatabase.hex4(vendor) + ":" + PCINameDatabase.hex4(device), style: style)
        }
    }

    /// The class as lspci prints it (`Ethernet controller`, `Class ff00`, `0200`, ...).
    public func classText(_ classCode: UInt16, style: PCINameStyle = .names) -> String {
        cachedText(.classCode(classCode, style)) { makeClassText(classCode, style: style) }
    }

    private func makeClassText(_ classCode: UInt16, style: PCINameStyle) -> String {
        let number = PCINameDatabase.hex4(classCode)
        if style == .numeric { return number }
        guard let name = className(classCode) else {
            return style == .mixed ? "Class [\(number)]" : "Class \(number)"
        }
        // A base-class-only answer already carries the number.
        if style == .mixed && !name.hasSuffix("[\(number)]") { return "\(name) [\(number)]" }
        return name
    }

    /// The subsystem as lspci's `Subsystem:` line prints it.
    public func subsystemText(
        vendor: UInt16, device: UInt16, subsystemVendor: UInt16, subsystemDevice: UInt16,
        style: PCINameStyle = .names
    ) -> String {
        cachedText(.subsystem(vendor, device, subsystemVendor, subsystemDevice, style)) {
            pairText(
                vendor: vendorName(subsystemVendor),
                device: subsystemName(
                    vendor: vendor, device: device, subsystemVendor: subsystemVendor, subsystemDevice: subsystemDevice),
                number: PCINameDatabase.hex4(subsystemVendor) + ":" + PCINameDatabase.hex4(subsystemDevice),
                style: style)
        }
    }

    /// The vendor alone as lspci prints it (`Vendor 1234` when unknown).
    public func vendorText(_ vendor: UInt16, style: PCINameStyle = .names) -> String {
        let number = PCINameDatabase.hex4(vendor)
        switch (style, vendorName(vendor)) {
        case (.numeric, _): return number
        case (.names, let name?): return name
        case (.mixed, let name?): return "\(name) [\(number)]"
        case (.names, nil): return "Vendor \(number)"
        case (.mixed, nil): return "Vendor [\(number)]"
        }
    }

    private func pairText(vendor: String?, device: String?, number: String, style: PCINameStyle) -> String {
        let deviceNumber = String(number.suffix(4))
        switch (style, vendor, device) {
        case (.numeric, _, _): return number
        case (.names, let v?, let d?): return "\(v) \(d)"
        case (.names, nil, _): return "Device \(number)"
        case (.names, let v?, nil): return "\(v) Device \(deviceNumber)"
        case (.mixed, let v?, let d?): return "\(v) \(d) [\(number)]"
        case (.mixed, nil, _): return "Device [\(number)]"
        case (.mixed, let v?, nil): return "\(v) Device [\(number)]"
        }
    }

    static func hex4(_ value: UInt16) -> String {
        let s = String(value, radix: 16)
        return String(repeating: "0", count: max(0, 4 - s.count)) + s
    }

    /// The cached text for `key`, or `make()`'s (made without the lock: it looks names up).
    private func cachedText(_ key: TextKey, _ make: () -> String) -> String {
        lock.lock()
        let cached = textCache[key]
        lock.unlock()
        if let cached { return cached }
        let text = make()
        lock.lock()
        if textCache.count >= Self.textCacheLimit { textCache.removeAll(keepingCapacity: true) }
        textCache[key] = text
        lock.unlock()
        return text
    }

    private func lookup(
        _ key: CacheKey, _ call: (OpaquePointer, UnsafeMutablePointer<CChar>, Int) -> Int32
    ) -> String? {
        lock.lock()
        defer { lock.unlock() }
        if let cached = cache[key] { return cached }
        var buffer = [CChar](repeating: 0, count: 512)
        let found = buffer.withUnsafeMutableBufferPointer { buf -> Bool in
            guard let base = buf.baseAddress else { return false }
            return call(handle, base, buf.count) == 1
        }
        let name: String? =
            found
            ? buffer.withUnsafeBufferPointer { buf in
                buf.baseAddress.map { String(cString: $0) }
            } : nil
        cache[key] = .some(name)
        return name
    }
}
