import ArgumentParser
import Host

/// `devbench profiles`: list or print built-in profiles.
struct Profiles: ParsableCommand {
    static let configuration = CommandConfiguration(abstract: "List the built-in profiles, or print one as YAML.")

    @Argument(help: "Profile to print as YAML (a starting point for your own).")
    var name: String?

    func run() throws {
        if let name {
            guard let text = BuiltinProfiles.yaml[name] else {
                throw ValidationError("no built-in profile '\(name)' (have: \(BuiltinProfiles.names.joined(separator: ", ")))")
            }
            print(text)
            return
        }
        for n in BuiltinProfiles.names {
            let description = (try? HostProfile.named(n).description) ?? ""
            print("\(n.padding(toLength: 10, withPad: " ", startingAt: 0))  \(description)")
        }
    }
}
