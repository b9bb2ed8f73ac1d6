import PCIe

/// One function as a listing shows it: the config snapshot plus what the operating system (or
/// the virtual host) reports beside config space, such as the IRQ and the bound driver.
///
/// lspci reads these from sysfs (`irq`, the `driver` link, `numa_node`, `iommu_group`); a
/// snapshot of the virtual bus has no OS, so the virtual host fills them in.
public struct ListedFunction: Sendable, Equatable {
    /// The function's address, config bytes and resource windows.
    public var snapshot: FunctionSnapshot
    /// The IRQ the OS reports (sysfs `irq`; the Interrupt Line register for dumps).
    public var irq: UInt32
    /// The bound driver's name (`Kernel driver in use:`), if any.
    public var kernelDriver: String?
    /// The NUMA node (`NUMA node:`), printed only when not `nil`.
    public var numaNode: Int?
    /// The IOMMU group (`IOMMU group:`), printed only when not `nil`.
    public var iommuGroup: String?
    /// The PCI domain (segment); lspci prints it with `-D` or when any function has a non-zero one.
    public var domain: UInt16
    /// Whether the OS reported the BAR sizes (sysfs `resource`); a hex dump does not.
    public var hasSizes: Bool

    /// Creates a listed function; the IRQ defaults to the Interrupt Line register.
    public init(
        snapshot: FunctionSnapshot, irq: UInt32? = nil, kernelDriver: String? = nil, numaNode: Int? = nil,
        iommuGroup: String? = nil, domain: UInt16 = 0, hasSizes: Bool = true
    ) {
        self.snapshot = snapshot
        self.irq = irq ?? UInt32(snapshot.reportedIRQ)
        self.kernelDriver = kernelDriver
        self.numaNode = numaNode
        self.iommuGroup = iommuGroup
        self.domain = domain
        self.hasSizes = hasSizes
    }

    /// The address lspci prints: `BB:DD.F`, or `DDDD:BB:DD.F` when domains are shown.
    public func slotName(withDomain: Bool) -> String {
        withDomain ? Fmt.hex(domain, 4) + ":" + snapshot.bdf.description : snapshot.bdf.description
    }

    /// Sort key in lspci's order: domain, bus, device, function.
    var sortKey: UInt32 { UInt32(domain) << 16 | UInt32(snapshot.bdf.routingID) }
}
