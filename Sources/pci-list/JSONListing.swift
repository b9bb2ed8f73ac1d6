import Foundation
import Inspector
import PCIe

/// `--json`: one object per function with its address, ids, names, resources, capabilities
/// and driver, for scripts.
struct JSONListing {
    let formatter: LspciFormatter

    struct Function: Encodable {
        var slot: String
        var vendor: String
        var device: String
        var classCode: String
        var revision: String
        var name: String
        var className: String
        var subsystem: String?
        var driver: String?
        var virtualFunction: Bool
        var physicalFunction: String?
        var resources: [Resource]
        var capabilities: [Capability]
    }

    struct Resource: Encodable {
        var index: Int
        var start: String
        var size: UInt64
        var kind: String
    }

    struct Capability: Encodable {
        var offset: String
        var version: Int?
        var title: String
    }

    func render(_ functions: [ListedFunction]) -> String {
        let detailed = LspciFormatter(
            names: formatter.names, options: LspciOptions(verbosity: 2, nameStyle: formatter.options.nameStyle))
        let terse = LspciFormatter(names: formatter.names, options: LspciOptions(nameStyle: formatter.options.nameStyle))
        let objects = functions.sorted { ($0.domain, $0.snapshot.bdf) < ($1.domain, $1.snapshot.bdf) }.map {
            function -> Function in
            let s = function.snapshot
            let line = terse.format(function, domainsDetected: false)
            let afterSlot = line.drop { $0 != " " }.dropFirst()
            let className = afterSlot.prefix { $0 != ":" }
            let name =
                formatter.names?.vendorDeviceText(vendor: s.vendorID, device: s.deviceID)
                ?? Self.hex4(s.vendorID) + ":" + Self.hex4(s.deviceID)
            let text = detailed.format(function, domainsDetected: false)
            let lines = text.split(separator: "\n")
            let subsystem = lines.first { $0.hasPrefix("\tSubsystem: ") }.map { String($0.dropFirst(12)) }
            let capabilities = lines.filter { $0.hasPrefix("\tCapabilities: [") }.map { line -> Capability in
                let body = line.dropFirst("\tCapabilities: [".count)
                let tag = body.prefix { $0 != "]" }
                let parts = tag.split(separator: " ")
                let version = parts.count > 1 ? Int(parts[1].dropFirst()) : nil
                return Capability(
                    offset: String(parts.first ?? tag), version: version, title: String(body.dropFirst(tag.count + 2)))
            }
            let resources = s.resources.prefix(7).enumerated().compactMap { index, window -> Resource? in
                guard window.size != 0 else { return nil }
                let kind =
                    index == 6 ? "rom" : window.flags & 0x100 != 0 ? "io" : window.flags & 0x10_0000 != 0 ? "mem64" : "mem32"
                return Resource(index: index, start: "0x" + String(window.start, radix: 16), size: window.size, kind: kind)
            }
            let view = s.config
            let revision = view.count > 8 ? view[8] : 0
            return Function(
                slot: function.slotName(withDomain: true), vendor: Self.hex4(s.vendorID), device: Self.hex4(s.deviceID),
                classCode: String(format: "%06x", s.classCode24), revision: String(format: "%02x", revision),
                name: name, className: String(className), subsystem: subsystem, driver: function.kernelDriver,
                virtualFunction: s.isVirtualFunction, physicalFunction: s.physicalFunction.map { "0000:" + $0.description },
                resources: resources, capabilities: capabilities)
        }
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        guard let data = try? encoder.encode(objects) else { return "[]\n" }
        return String(decoding: data, as: UTF8.self) + "\n"
    }

    static func hex4(_ value: UInt16) -> String { String(format: "%04x", value) }
}
