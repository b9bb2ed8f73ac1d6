import PCIe

/// lspci's `-t` bus tree: buses found through bridges' secondary/subordinate numbers, every
/// other bus a top-level `[DDDD:BB]` branch, devices as `DD.F` (with names at `-v`).
public struct LspciTree: Sendable {
    /// The formatter whose names and options (`verbosity`, `nameStyle`) the tree uses.
    public let formatter: LspciFormatter

    /// Creates a tree printer.
    public init(formatter: LspciFormatter) { self.formatter = formatter }

    private final class Bridge {
        let domain: UInt16
        let primary: Int
        let secondary: Int
        let subordinate: Int
        let device: ListedFunction?
        var children: [Bridge] = []
        var buses: [Bus] = []
        /// `subordinate - primary` in lspci's unsigned 32-bit arithmetic (0 for the host bridge).
        var span: UInt32 { UInt32(truncatingIfNeeded: subordinate) &- UInt32(truncatingIfNeeded: primary) }

        init(domain: UInt16, primary: Int, secondary: Int, subordinate: Int, device: ListedFunction?) {
            self.domain = domain
            self.primary = primary
            self.secondary = secondary
            self.subordinate = subordinate
            self.device = device
        }
    }

    private final class Bus {
        let domain: UInt16
        let number: Int
        var devices: [ListedFunction] = []

        init(domain: UInt16, number: Int) {
            self.domain = domain
            self.number = number
        }
    }

    /// The tree text for `functions` (sorted like lspci first). The tree is built from every
    /// function; like lspci 3.9, one that fails `filter` is not printed (nor is anything behind
    /// it), but its place still shapes the branch characters of the others.
    public func format(_ functions: [ListedFunction], filter: DeviceFilter = DeviceFilter()) -> String {
        let sorted = functions.filter { ConfigView($0.snapshot.config).has(0, 64) }.sorted { $0.sortKey < $1.sortKey }
        // lspci 3.9 prints a lone "-" when the filter leaves nothing to show.
        guard sorted.contains(where: filter.matches) else { return "-\n" }
        let host = Bridge(domain: 0, primary: Int(UInt32.max), secondary: 0, subordinate: Int(UInt32.max), device: nil)
        var bridges = [host]
        for function in sorted {
            let view = ConfigView(function.snapshot.config)
            let headerType = view.byte(Header.headerType) & 0x7f
            guard view.byte(0x0b) == 0x06, headerType == 1 || headerType == 2 else { continue }
            let base = 0x18  // primary, secondary, subordinate: same offsets for type 1 and CardBus
            bridges.append(
                Bridge(
                    domain: function.domain, primary: Int(view.byte(base)), secondary: Int(view.byte(base + 1)),
                    subordinate: Int(view.byte(base + 2)), device: function))
        }
        for bridge in bridges {
            var best: Bridge?
            for candidate in bridges where candidate !== bridge {
                guard candidate === host || bridge.domain == candidate.domain else { continue }
                guard bridge.primary >= candidate.secondary && bridge.primary <= candidate.subordinate else { continue }
                if let current = best, current.span <= candidate.span { continue }
                best = candidate
            }
            best?.children.insert(bridge, at: 0)
        }
        for bridge in bridges where findBus(bridge, bridge.domain, bridge.secondary) == nil {
            bridge.buses.append(Bus(domain: bridge.domain, number: bridge.secondary))
        }
        for function in sorted { insert(function, into: host) }
        var out = ""
        var line: [Character] = []
        showBridge(host, host: host, line: &line, at: 0, bridges: bridges, filter: filter, into: &out)
        return out
    }

    private func findBus(_ bridge: Bridge, _ domain: UInt16, _ number: Int) -> Bus? {
        bridge.buses.first { $0.domain == domain && $0.number == number }
    }

    private func insert(_ function: ListedFunction, into bridge: Bridge) {
        let bus = Int(function.snapshot.bdf.bus)
        if let found = findBus(bridge, function.domain, bus) {
            found.devices.append(function)
            return
        }
        for child in bridge.children
        where child.domain == function.domain && child.secondary <= bus && bus <= child.subordinate {
            insert(function, into: child)
            return
        }
        let created = Bus(domain: function.domain, number: bus)
        created.devices.append(function)
        bridge.buses.append(created)
    }

    private func write(_ text: String, _ line: inout [Character], at position: Int) -> Int {
        let characters = Array(text)
        if line.count < position + characters.count {
            line += [Character](repeating: " ", count: position + characters.count - line.count)
        }
        for (index, character) in characters.enumerated() { line[position + index] = character }
        return position + characters.count
    }

    private func printLine(_ line: inout [Character], upTo end: Int, into out: inout String) {
        out += String(line[0..<min(end, line.count)]) + "\n"
        line = Array(line[0..<min(end, line.count)]).map { $0 == "+" || $0 == "|" ? "|" : " " }
    }

    private func showDevice(
        _ function: ListedFunction, line: inout [Character], at position: Int, bridges: [Bridge], host: Bridge,
        filter: DeviceFilter, into out: inout String
    ) {
        guard filter.matches(function) else { return }
        let bdf = function.snapshot.bdf
        var p = write(Fmt.hex(bdf.device, 2) + "." + String(bdf.function, radix: 16), &line, at: position)
        if let bridge = bridges.first(where: { $0.device.map { $0.sortKey == function.sortKey } ?? false }) {
            let range =
                bridge.secondary == bridge.subordinate
                ? "-[\(Fmt.hex(bridge.secondary, 2))]-"
                : "-[\(Fmt.hex(bridge.secondary, 2))-\(Fmt.hex(bridge.subordinate, 2))]-"
            p = write(range, &line, at: p)
            showBridge(bridge, host: host, line: &line, at: p, bridges: bridges, filter: filter, into: &out)
            return
        }
        if formatter.options.verbosity > 0 {
            let name = formatter.vendorDeviceText(vendor: function.snapshot.vendorID, device: function.snapshot.deviceID)
            p = write("  " + name, &line, at: p)
        }
        printLine(&line, upTo: p, into: &out)
    }

    private func showBus(
        _ bus: Bus, line: inout [Character], at position: Int, bridges: [Bridge], host: Bridge, filter: DeviceFilter,
        into out: inout String
    ) {
        if bus.devices.isEmpty {
            printLine(&line, upTo: position, into: &out)
        } else if bus.devices.count == 1 {
            let p = write("--", &line, at: position)
            showDevice(bus.devices[0], line: &line, at: p, bridges: bridges, host: host, filter: filter, into: &out)
        } else {
            for (index, device) in bus.devices.enumerated() {
                let p = write(index == bus.devices.count - 1 ? "\\-" : "+-", &line, at: position)
                showDevice(device, line: &line, at: p, bridges: bridges, host: host, filter: filter, into: &out)
            }
        }
    }

    private func showBridge(
        _ bridge: Bridge, host: Bridge, line: inout [Character], at position: Int, bridges: [Bridge],
        filter: DeviceFilter, into out: inout String
    ) {
        var p = write("-", &line, at: position)
        guard let first = bridge.buses.first else {
            printLine(&line, upTo: p, into: &out)
            return
        }
        if bridge.buses.count == 1 {
            if bridge === host { p = write("[\(Fmt.hex(bridge.domain, 4)):\(Fmt.hex(first.number, 2))]-", &line, at: p) }
            showBus(first, line: &line, at: p, bridges: bridges, host: host, filter: filter, into: &out)
            return
        }
        for (index, bus) in bridge.buses.enumerated() {
            let lead = index == bridge.buses.count - 1 ? "\\-" : "+-"
            let k = write(lead + "[\(Fmt.hex(bus.domain, 4)):\(Fmt.hex(bus.number, 2))]-", &line, at: p)
            showBus(bus, line: &line, at: k, bridges: bridges, host: host, filter: filter, into: &out)
        }
    }
}
