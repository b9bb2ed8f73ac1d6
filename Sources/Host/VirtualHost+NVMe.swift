import Drivers
import NVMe
import PCIe

/// An NVMe controller bound to the reference driver.
public struct BoundNVMe {
    /// The controller's function.
    public let bdf: BDF
    /// EBS volume or instance storage.
    public let kind: DeviceKind
    /// The driver (I/O queue pairs created, namespaces identified).
    public let driver: NVMeDriver<BusDeviceAccess>
    /// The controller model, for what the host platform (not the instance) does to it: the
    /// instance-stop cryptographic erase of instance storage.
    public let controller: NVMeController
}

extension DeviceEntry {
    /// The controller configuration this entry asks for (EC2-style names derived from `bdf`
    /// and the serial when the profile does not give them).
    func nvmeConfiguration(at bdf: BDF) -> NVMeControllerConfiguration {
        let tag = String(serial ?? UInt64(bdf.routingID), radix: 16)
        let kind: NVMeControllerConfiguration.Kind
        if self.kind == .nvmeEBS {
            let id = volumeID ?? "vol-0" + String(repeating: "0", count: max(0, 16 - tag.count)) + tag
            kind = .ebs(volumeID: id, blockDeviceName: blockDeviceName ?? "/dev/sdf")
        } else {
            kind = .instanceStore(serial: "AWS" + String(repeating: "0", count: max(0, 17 - tag.count)) + tag.uppercased())
        }
        return NVMeControllerConfiguration(
            kind: kind, capacityBytes: UInt64(capacityMiB ?? 1024) << 20, blockSize: blockSize ?? 512,
            backing: backingFile.map { .file(path: $0) } ?? .memory, encrypted: self.kind == .nvmeEBS ? encrypted : nil,
            ioQueuePairs: queues ?? 2)
    }
}

extension VirtualHost {
    /// Driver bring-up: enable handshake, Identify, one I/O queue pair per vCPU (`queues`).
    func bringUpNVMe(_ entry: DeviceEntry, at bdf: BDF) throws -> BoundNVMe {
        guard let controller = bus.function(at: bdf)?.model as? NVMeController else {
            throw HostError.platform("\(bdf): no NVMe controller")
        }
        let driver = try NVMeDriver(
            access: bus.access(bdf), configuration: .init(ioQueueCount: entry.queues ?? 2, ioQueueDepth: 64))
        try driver.start()
        return BoundNVMe(bdf: bdf, kind: entry.kind, driver: driver, controller: controller)
    }
}
