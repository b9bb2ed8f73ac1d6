import ArgumentParser
import Foundation
import Host
import Inspector

/// `devbench export-sysfs DIR`: the bus as a sysfs tree real lspci can read.
struct ExportSysfs: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "export-sysfs",
        abstract: "Write the virtual bus as a sysfs-shaped tree.",
        discussion: "Read it with: lspci -A linux-sysfs -O sysfs.path=DIR -vvv")

    @OptionGroup var options: ProfileOptions

    @Argument(help: "Directory to write (created if missing).")
    var directory: String

    func run() throws {
        let host = try options.makeHost()
        host.bringUp()
        let drivers = host.kernelDriverNames
        let functions = host.snapshots.map { ListedFunction(snapshot: $0, kernelDriver: drivers[$0.bdf]) }
        do {
            // With `driver` links, so the real `lspci -k` names the bound reference drivers.
            try SysfsExporter(root: URL(fileURLWithPath: directory)).export(functions)
        } catch {
            throw ValidationError(error.description)
        }
        print("exported \(functions.count) functions to \(directory)")
        print("read with: lspci -A linux-sysfs -O sysfs.path=\(directory) -vvv")
    }
}
