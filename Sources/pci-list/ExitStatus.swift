import ArgumentParser

/// What `pci-list`'s exit status says.
enum ExitStatus {
    /// Everything was read and listed.
    static let success: Int32 = 0
    /// Part of the input was damaged (a missing or short file, a bad dump line, ...): each
    /// problem was reported on stderr and everything else was listed (lspci uses 2 for a
    /// function whose header it cannot read).
    static let damagedInput: Int32 = 2
    /// The source could not be used at all (no such profile, file or directory; a profile with
    /// errors): nothing was listed.
    static let unusableSource: Int32 = 3
    /// Usage errors (unknown option, bad `-s`/`-d` text) exit with ArgumentParser's 64 (EX_USAGE).
    static let usage: Int32 = 64

    /// The ArgumentParser exit code for `status`.
    static func code(_ status: Int32) -> ExitCode { ExitCode(status) }
}
