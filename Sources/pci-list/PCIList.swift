import ArgumentParser
import Foundation
import Host
import Inspector
import PCIe

/// `pci-list`: lspci for the virtual bus (or any sysfs tree or lspci hex dump), through libpci.
@main
struct PCIList: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "pci-list",
        abstract: "List PCI functions like lspci 3.9: the virtual bus of a profile, a sysfs tree, or a hex dump.",
        discussion: """
            Exit status: 0 everything listed; 2 part of the input was damaged (reported on \
            stderr, the rest listed); 3 the source could not be used; 64 usage error.
            """)

    @Option(name: .long, help: "Built-in profile name or profile YAML file (default: the default profile).")
    var profile: String?

    @Option(name: .long, help: "A sysfs-shaped tree: DIR/devices/DDDD:BB:DD.F/ (e.g. /sys/bus/pci).")
    var sysfs: String?

    @Option(name: .customShort("F"), help: "Read an lspci hex dump (lspci -xxxx output).")
    var dumpFile: String?

    @Flag(name: .customShort("n"), help: "Numeric ids (-nn: names and numbers).")
    var numeric: Int

    @Flag(name: .customShort("v"), help: "Verbose (-vv, -vvv: more).")
    var verbose: Int

    @Flag(name: .customShort("x"), help: "Hex dump of config space (-xxx: 256 bytes, -xxxx: 4096).")
    var hex: Int

    @Flag(name: .customShort("t"), help: "Bus tree.")
    var tree = false

    @Option(name: .customShort("s"), help: "Only functions at [[[[domain]:]bus]:][slot][.[func]].")
    var slot: String?

    @Option(name: .customShort("d"), help: "Only functions with [vendor]:[device][:class].")
    var id: String?

    @Flag(name: .customShort("k"), help: "Show the bound driver.")
    var kernel = false

    @Flag(name: .customShort("m"), help: "Machine-readable (-mm, -vmm: one tag per line).")
    var machine: Int

    @Flag(name: .customShort("D"), help: "Always show the domain.")
    var domains = false

    @Flag(name: .long, help: "Decode BAR0 registers by name and field from the register specs (profiles only).")
    var regs = false

    @Flag(name: .long, help: "JSON for scripts instead of lspci text.")
    var json = false

    @Option(name: .long, help: "Also write the listed functions as a sysfs tree (with driver links) to DIR.")
    var exportSysfs: String?

    @Flag(name: .long, help: "Print how long loading and formatting took, on stderr.")
    var time = false

    func validate() throws {
        let sources = [profile, sysfs, dumpFile].compactMap { $0 }
        guard sources.count <= 1 else { throw ValidationError("give at most one of --profile, --sysfs and -F") }
        if regs && (sysfs != nil || dumpFile != nil) {
            throw ValidationError("--regs reads live registers: it needs a profile, not --sysfs or -F")
        }
        _ = try filter()
    }

    var source: BusSource {
        if let sysfs { return .sysfs(sysfs) }
        if let dumpFile { return .dump(dumpFile) }
        return .profile(profile ?? BuiltinProfiles.defaultName)
    }

    func filter() throws -> DeviceFilter {
        var filter = DeviceFilter()
        do {
            if let slot { try filter.parseSlot(slot) }
        } catch {
            throw ValidationError("-s: \(error.message)")
        }
        do {
            if let id { try filter.parseID(id) }
        } catch {
            throw ValidationError("-d: \(error.message)")
        }
        return filter
    }

    var options: LspciOptions {
        LspciOptions(
            verbosity: verbose, nameStyle: numeric >= 2 ? .mixed : numeric == 1 ? .numeric : .names, hexDump: hex,
            showKernel: kernel, machine: machine, showDomains: domains)
    }

    func run() throws {
        let started = ContinuousClock.now
        let loaded: (input: ListingInput, host: VirtualHost?)
        do {
            loaded = try source.load()
        } catch {
            FileHandle.standardError.write(Data("pci-list: \(error.description)\n".utf8))
            throw ExitStatus.code(ExitStatus.unusableSource)
        }
        let afterLoad = ContinuousClock.now
        let text = try render(loaded.input.functions, host: loaded.host)
        FileHandle.standardOutput.write(LspciOutput.encode(text))
        if let exportSysfs {
            do {
                try SysfsExporter(root: URL(fileURLWithPath: exportSysfs)).export(loaded.input.functions)
            } catch {
                FileHandle.standardError.write(Data("pci-list: \(error.description)\n".utf8))
                throw ExitStatus.code(ExitStatus.unusableSource)
            }
        }
        for problem in loaded.input.problems {
            FileHandle.standardError.write(Data("pci-list: \(problem)\n".utf8))
        }
        if time {
            let load = afterLoad - started
            let format = ContinuousClock.now - afterLoad
            let line =
                "pci-list: \(loaded.input.functions.count) functions; load \(Self.milliseconds(load)) ms, "
                + "format \(Self.milliseconds(format)) ms, total \(Self.milliseconds(load + format)) ms\n"
            FileHandle.standardError.write(Data(line.utf8))
        }
        if !loaded.input.problems.isEmpty { throw ExitStatus.code(ExitStatus.damagedInput) }
    }

    /// The output text for `all` functions of the source under these options (filters applied).
    func render(_ all: [ListedFunction], host: VirtualHost?) throws -> String {
        let filter = try filter()
        let formatter = LspciFormatter(options: options)
        if json { return JSONListing(formatter: formatter).render(all.filter(filter.matches)) }
        if regs, let host { return RegisterListing(host: host).render(all.filter(filter.matches)) }
        if tree { return LspciTree(formatter: formatter).format(all, filter: filter) }
        return formatter.format(all, filter: filter)
    }

    static func milliseconds(_ duration: Duration) -> String {
        let ms = Double(duration.components.seconds) * 1000 + Double(duration.components.attoseconds) / 1e15
        return String(format: "%.1f", ms)
    }
}
