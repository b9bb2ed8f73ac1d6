import ArgumentParser
import Host

/// `devbench`: build a virtual host, drive its devices, check and measure them.
@main
struct Devbench: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "devbench",
        abstract: "Register-level PCIe device emulator and driver test bench.",
        discussion: """
            With no subcommand, runs the main job on the default profile: builds the virtual \
            host, binds the reference drivers, runs a smoke workload per device and prints an \
            lspci-like listing and a summary. Exit status 0 means every check passed.
            """,
        subcommands: [Run.self, Conform.self, BenchCommand.self, ExportSysfs.self, Profiles.self, Fuzz.self, Serve.self],
        defaultSubcommand: Run.self)
}

/// The profile option every command shares.
struct ProfileOptions: ParsableArguments {
    @Option(name: .long, help: "Built-in profile name or path to a profile YAML file.")
    var profile: String = BuiltinProfiles.defaultName

    /// Loads the profile and builds the host.
    func makeHost() throws -> VirtualHost {
        do {
            return try VirtualHost(profile: try HostProfile.named(profile))
        } catch {
            throw ValidationError(error.description)
        }
    }
}
