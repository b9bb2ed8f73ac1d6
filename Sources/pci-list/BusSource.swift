import Foundation
import Host
import Inspector
import PCIe

/// Where the listed bus comes from.
enum BusSource {
    /// A built-in profile name or a profile YAML file, brought up with drivers bound.
    case profile(String)
    /// A sysfs-shaped tree (`/sys/bus/pci`, or an export).
    case sysfs(String)
    /// An lspci hex dump (`lspci -xxxx` output).
    case dump(String)

    /// Why a source gave nothing to list.
    struct Unusable: Error, CustomStringConvertible {
        let description: String
    }

    /// The functions of the source, the problems met, and (for a profile) the live host.
    func load() throws(Unusable) -> (input: ListingInput, host: VirtualHost?) {
        switch self {
        case .profile(let name):
            let host = try Self.bringUp(name)
            let drivers = host.kernelDriverNames
            let functions = host.snapshots.map { snapshot in
                ListedFunction(snapshot: snapshot, kernelDriver: drivers[snapshot.bdf])
            }
            let problems = host.bringUpProblems.map { ListingProblem(file: "profile \(name)", message: $0) }
            return (ListingInput(functions: functions, problems: problems), host)
        case .sysfs(let path):
            var isDirectory: ObjCBool = false
            guard FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory), isDirectory.boolValue else {
                throw Unusable(description: "\(path): no such directory")
            }
            return (SysfsImporter(root: URL(fileURLWithPath: path)).read(), nil)
        case .dump(let path):
            guard let data = FileManager.default.contents(atPath: path) else {
                throw Unusable(description: "\(path): cannot read the dump file")
            }
            return (LspciDumpReader(fileName: path).read(String(decoding: data, as: UTF8.self)), nil)
        }
    }

    /// Builds and brings up the host for a profile name or file.
    static func bringUp(_ name: String) throws(Unusable) -> VirtualHost {
        do {
            let profile: HostProfile
            if let extra = ListingProfiles.extra[name] {
                profile = extra
            } else {
                profile = try HostProfile.named(name)
            }
            let host = try VirtualHost(profile: profile)
            host.bringUp()
            return host
        } catch {
            throw Unusable(description: ProfileErrorText.describe(error, source: name))
        }
    }
}
