extension HostProfile {
    /// `sriov-82599-63`: one Intel 82599 PF with 63 of its 64 VFs enabled (the PF keeps one
    /// pool), every VF bound to the ixgbevf reference driver. `pci-list --profile` knows it by
    /// name and `devbench bench` times listing it (`pci-list-63vf`). Not a built-in profile, so
    /// the lspci comparisons over every built-in profile stay quick.
    public static let sriov82599Listing = HostProfile(
        name: "sriov-82599-63",
        description: "One Intel 82599 PF with 63 of its 64 VFs enabled, each bound to ixgbevf",
        devices: [
            DeviceEntry(kind: .hostBridge, slot: "00:00.0"),
            DeviceEntry(kind: .intel82599, slot: "00:05.0", totalVFs: 64, vfs: 63, serial: 0x00a0_c9ff_ff00_0005),
        ])
}
