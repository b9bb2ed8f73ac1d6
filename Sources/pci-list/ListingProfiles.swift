import Host

/// Profiles `pci-list` knows by name beside the built-in ones, for its benchmark.
enum ListingProfiles {
    /// `sriov-82599-63`: one Intel 82599 PF with 63 of its 64 VFs enabled (the PF keeps one
    /// pool), every VF bound to the ixgbevf reference driver; what `--time` is measured on.
    static let sriov82599 = HostProfile(
        name: "sriov-82599-63",
        description: "One Intel 82599 PF with 63 of its 64 VFs enabled, each bound to ixgbevf",
        devices: [
            DeviceEntry(kind: .hostBridge, slot: "00:00.0"),
            DeviceEntry(kind: .intel82599, slot: "00:05.0", totalVFs: 64, vfs: 63, serial: 0x00a0_c9ff_ff00_0005),
        ])

    /// Extra profiles by name.
    static let extra: [String: HostProfile] = [sriov82599.name: sriov82599]
}
