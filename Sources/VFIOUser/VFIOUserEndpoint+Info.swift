import Foundation
import PCIe

extension VFIOUserEndpoint {
    /// The capabilities this server announces in its VERSION reply.
    static let serverCapabilities =
        "{\"capabilities\":{\"max_msg_fds\":\(VFIOUser.maxMessageFileDescriptors),"
        + "\"max_data_xfer_size\":\(VFIOUser.maxDataTransfer),\"pgsizes\":4096,"
        + "\"max_dma_maps\":\(VFIOUser.maxDMAMaps)}}"

    /// VERSION: the same major, the lower minor, and a subset of the client's capabilities.
    func negotiate(major: UInt16, minor: UInt16, capabilities: String?) -> Result<[UInt8], VFIOUserErrno> {
        guard major == VFIOUser.majorVersion else {
            note("client proposed major version \(major)")
            return .failure(.enotsup)
        }
        if let capabilities {
            guard let maxFDs = Self.clientMaxFileDescriptors(capabilities) else {
                note("malformed capabilities")
                return .failure(.einval)
            }
            clientMaxFileDescriptors = maxFDs
            clientMaxDataTransfer = Self.clientMaxDataTransfer(capabilities)
        }
        negotiated = true
        var out: [UInt8] = []
        out.appendLittleEndian(VFIOUser.majorVersion)
        out.appendLittleEndian(min(minor, VFIOUser.minorVersion))
        out.append(contentsOf: Array(Self.serverCapabilities.utf8))
        out.append(0)
        return .success(out)
    }

    /// `max_msg_fds` from a capabilities document (1 when absent); nil when the document is not
    /// a JSON object, `capabilities` is not an object, or a known field has the wrong type.
    static func clientMaxFileDescriptors(_ json: String) -> Int? {
        guard let data = json.data(using: .utf8),
            let root = try? JSONSerialization.jsonObject(with: data) as? [String: Any]
        else { return nil }
        guard let caps = root["capabilities"] else { return 1 }
        guard let dict = caps as? [String: Any] else { return nil }
        for key in ["max_data_xfer_size", "pgsizes", "max_dma_maps"] where dict[key] != nil {
            guard dict[key] is NSNumber else { return nil }
        }
        guard let fds = dict["max_msg_fds"] else { return 1 }
        guard let n = fds as? NSNumber, n.int64Value >= 0 else { return nil }
        return Int(min(n.int64Value, Int64(VFIOUser.maxMessageFileDescriptors)))
    }

    /// `max_data_xfer_size` from a capabilities document that passed
    /// ``clientMaxFileDescriptors(_:)``, between 1 byte and this server's own limit (the server's
    /// limit when absent): the largest `DMA_READ`/`DMA_WRITE` the server sends.
    static func clientMaxDataTransfer(_ json: String) -> Int {
        guard let data = json.data(using: .utf8),
            let root = try? JSONSerialization.jsonObject(with: data) as? [String: Any],
            let caps = root["capabilities"] as? [String: Any], let n = caps["max_data_xfer_size"] as? NSNumber
        else { return VFIOUser.maxDataTransfer }
        return Int(max(1, min(n.int64Value, Int64(VFIOUser.maxDataTransfer))))
    }

    /// DEVICE_GET_INFO: a resettable PCI device with the nine PCI regions and five IRQ types.
    func deviceInfo(argsz: UInt32) -> Result<[UInt8], VFIOUserErrno> {
        guard argsz >= 16 else { return .failure(.einval) }
        var out: [UInt8] = []
        out.appendLittleEndian(UInt32(16))
        out.appendLittleEndian(VFIOUser.DeviceFlags.reset | VFIOUser.DeviceFlags.pci)
        out.appendLittleEndian(VFIOUser.Region.count)
        out.appendLittleEndian(VFIOUser.IRQ.count)
        return .success(out)
    }

    /// Size of a region: a BAR's size, the config space, or 0 (ROM and VGA are absent).
    func regionSize(_ index: UInt32) -> UInt64 {
        if index < 6 {
            let defs = function.barDefinitions
            guard Int(index) < defs.count, let def = defs[Int(index)], def.kind != .io else { return 0 }
            return def.size
        }
        if index == VFIOUser.Region.config { return configSpaceSize }
        return 0
    }

    /// 4 KiB for a PCI Express function, 256 bytes otherwise.
    var configSpaceSize: UInt64 { function.capabilities.pciExpress != nil ? 4096 : 256 }

    /// DEVICE_GET_REGION_INFO: `struct vfio_region_info` without capabilities. Nothing is
    /// mappable; every access travels as a REGION_READ or REGION_WRITE message.
    func regionInfo(argsz: UInt32, index: UInt32) -> Result<[UInt8], VFIOUserErrno> {
        guard argsz >= 32 else { return .failure(.einval) }
        guard index < VFIOUser.Region.count else { return .failure(.einval) }
        let size = regionSize(index)
        var out: [UInt8] = []
        out.appendLittleEndian(UInt32(32))
        out.appendLittleEndian(size == 0 ? 0 : VFIOUser.RegionFlags.read | VFIOUser.RegionFlags.write)
        out.appendLittleEndian(index)
        out.appendLittleEndian(UInt32(0))
        out.appendLittleEndian(size)
        out.appendLittleEndian(UInt64(index) << 40)
        return .success(out)
    }

    /// DEVICE_GET_IRQ_INFO: MSI-X vectors (the table size) and MSI vectors (Multiple Message
    /// Capable) with eventfd signalling, as Linux `vfio-pci` reports them; 0 for a type the
    /// function lacks, and for INTx, error and request notification.
    func irqInfo(argsz: UInt32, index: UInt32) -> Result<[UInt8], VFIOUserErrno> {
        guard argsz >= 16 else { return .failure(.einval) }
        guard index < VFIOUser.IRQ.count else { return .failure(.einval) }
        let count = InterruptKind(index: index).map { UInt32(eventFDs($0).count) } ?? 0
        var out: [UInt8] = []
        out.appendLittleEndian(UInt32(16))
        out.appendLittleEndian(count > 0 ? VFIOUser.IRQInfoFlags.eventfd | VFIOUser.IRQInfoFlags.noResize : 0)
        out.appendLittleEndian(index)
        out.appendLittleEndian(count)
        return .success(out)
    }
}
