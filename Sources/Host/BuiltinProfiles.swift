/// Profiles compiled into the binary, as YAML so they read exactly like user profile files.
public enum BuiltinProfiles {
    /// Name of the profile `devbench` runs with no arguments.
    public static let defaultName = "default"

    /// Built-in profile texts by name.
    public static let yaml: [String: String] = [
        "default": """
        name: default
        description: EC2-like host - 440FX host bridge, an Intel 82599 whose VFs instances drive (port cabled to a peer), an ENA on the same wire, an EBS volume and an instance-store NVMe controller, and the DMA engine
        devices:
          - { kind: host-bridge, slot: "00:00.0" }
          - { kind: dma-engine, slot: "00:03.0", totalVFs: 8, vfs: 2, serial: 0x00123400dbdb0003 }
          - { kind: intel-82599, slot: "00:05.0", totalVFs: 64, vfs: 3, serial: 0x00a0c9ffff000005 }
          - { kind: ena, slot: "00:06.0", mac: "06:1d:0f:ec:20:06", queues: 4, allowancePPS: 100000, allowanceBurst: 64, wire: "00:05.0" }
          - { kind: nvme-ebs, slot: "00:1e.0", capacityMiB: 8192, queues: 2, volumeID: vol-0123456789abcdef0, blockDeviceName: /dev/xvda }
          - { kind: nvme-instance-store, slot: "00:1f.0", capacityMiB: 65536, blockSize: 4096, queues: 2, serial: 0x1d0fcd0100000001 }
        """,
        "sriov-64": """
        name: sriov-64
        description: A host with one SR-IOV PF and all 64 of its VFs enabled
        devices:
          - { kind: host-bridge, slot: "00:00.0" }
          - { kind: dma-engine, slot: "00:03.0", totalVFs: 64, vfs: 64, serial: 0x00123400dbdb0064 }
        """,
    ]

    /// Built-in names, sorted.
    public static var names: [String] { yaml.keys.sorted() }
}
