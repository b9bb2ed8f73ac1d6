import PCIe

extension VirtualHost {
    /// The names `Kernel driver in use:` shows for the reference drivers: the Linux driver each
    /// one stands in for.
    public enum KernelDriverName {
        public static let intel82599PF = "ixgbe"
        public static let intel82599VF = "ixgbevf"
        public static let ena = "ena"
        public static let nvme = "nvme"
        public static let dmaEngine = "devbench-dma"
    }

    /// Driver name by function, for every function the host bound a reference driver to
    /// (pci-list -k and the sysfs export's `driver` links).
    public var kernelDriverNames: [BDF: String] {
        var names: [BDF: String] = [:]
        for nic in nics {
            names[nic.bdf] = KernelDriverName.intel82599PF
            for vf in nic.vfs { names[vf.bdf] = KernelDriverName.intel82599VF }
        }
        for adapter in enas { names[adapter.bdf] = KernelDriverName.ena }
        for controller in storage { names[controller.bdf] = KernelDriverName.nvme }
        for engine in dmaEngines { names[engine.bdf] = KernelDriverName.dmaEngine }
        return names
    }
}
