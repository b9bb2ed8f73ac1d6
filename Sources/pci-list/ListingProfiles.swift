import Host

/// Profiles `pci-list` knows by name beside the built-in ones, for its benchmark.
enum ListingProfiles {
    /// `sriov-82599-63` (``HostProfile/sriov82599Listing``): what `--time` is measured on.
    static let sriov82599 = HostProfile.sriov82599Listing

    /// Extra profiles by name.
    static let extra: [String: HostProfile] = [sriov82599.name: sriov82599]
}
