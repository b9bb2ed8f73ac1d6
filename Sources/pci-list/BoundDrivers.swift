import Host
import PCIe

/// The reference driver bound to each function of a virtual host, by the name `Kernel driver
/// in use:` shows (the Linux driver each reference driver stands in for).
enum BoundDrivers {
    /// The ixgbe PF driver's name.
    static let intel82599PF = "ixgbe"
    /// The ixgbevf VF driver's name.
    static let intel82599VF = "ixgbevf"
    /// The NVMe driver's name.
    static let nvme = "nvme"
    /// The DeviceBench DMA engine driver's name.
    static let dmaEngine = "devbench-dma"

    /// Driver name by function, for every function the host bound a driver to.
    static func names(of host: VirtualHost) -> [BDF: String] {
        var names: [BDF: String] = [:]
        for nic in host.nics {
            names[nic.bdf] = intel82599PF
            for vf in nic.vfs { names[vf.bdf] = intel82599VF }
        }
        for controller in host.storage { names[controller.bdf] = nvme }
        for engine in host.dmaEngines { names[engine.bdf] = dmaEngine }
        return names
    }
}
