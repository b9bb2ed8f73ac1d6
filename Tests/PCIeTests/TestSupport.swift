import PCIe
import RegisterModel
import TestSupport
import Testing

/// A device model with one 32-bit scratch register per dword of BAR0 and counters of accesses,
/// so platform tests can see exactly which MMIO reached the model.
final class ScratchModel: PCIDeviceModel {
    var storage: [UInt64: UInt64] = [:]
    var reads = 0
    var writes = 0
    var resets: [ResetKind] = []

    func barRead(_ bar: BARIndex, offset: UInt64, width: AccessWidth) -> UInt64 {
        reads += 1
        return storage[UInt64(bar.value) << 48 | offset] ?? 0
    }

    func barWrite(_ bar: BARIndex, offset: UInt64, width: AccessWidth, value: UInt64) {
        writes += 1
        storage[UInt64(bar.value) << 48 | offset] = value
    }

    func reset(_ kind: ResetKind) {
        resets.append(kind)
        storage.removeAll()
    }
}

enum Fixtures {
    static let identity = FunctionIdentity(
        vendorID: 0x8086, deviceID: 0x10fb, revision: 1, classCode: 0x020000, subsystemVendorID: 0x8086,
        subsystemID: 0x000c, interruptPin: 1)

    /// Every BAR kind: BAR0 32-bit 4 KiB, BAR1 I/O 32 B, BAR2+3 64-bit prefetchable 16 KiB,
    /// BAR4 32-bit prefetchable 64 KiB, BAR5 unimplemented.
    static let bars: [BARDefinition?] = [
        BARDefinition(.memory32, size: 0x1000),
        BARDefinition(.io, size: 0x20),
        BARDefinition(.memory64, size: 0x4000, prefetchable: true),
        nil,
        BARDefinition(.memory32, size: 0x10000, prefetchable: true),
        nil,
    ]

    static let sriov = SRIOVProperties(
        initialVFs: 8, totalVFs: 8, firstVFOffset: 0x80, vfStride: 2, firstVFOffsetWithoutARI: 0x180,
        vfStrideWithoutARI: 2, vfDeviceID: 0x10ed,
        vfBARs: [
            BARDefinition(.memory64, size: 0x4000, prefetchable: true), nil, BARDefinition(.memory32, size: 0x2000), nil, nil,
            nil,
        ])

    /// A function with every capability the builder knows, at fixed offsets.
    static func fullConfiguration(sriov: Bool = true) -> FunctionConfiguration {
        var caps: [PlacedCapability] = [
            .init(.powerManagement, at: 0x40),
            .init(.msi(vectors: 4), at: 0x50),
            .init(
                .msix(vectors: 8, table: BARIndex(clamping: 4), tableOffset: 0, pba: BARIndex(clamping: 4), pbaOffset: 0x2000),
                at: 0x70),
            .init(.pciExpress(PCIExpressProperties()), at: 0xa0),
            .init(.advancedErrorReporting, at: 0x100),
            .init(.deviceSerialNumber(0x0011_2233_4455_6677), at: 0x140),
            .init(.ari(nextFunction: 0), at: 0x150),
        ]
        if sriov { caps.append(.init(.sriov(Self.sriov), at: 0x160)) }
        return FunctionConfiguration(identity: identity, bars: bars, capabilities: caps)
    }

    static let msixBAR = BARIndex(clamping: 4)
}

/// A bus with one function at 00:03.0 built from `configuration`.
struct Bench {
    let bus: PCIBus
    let function: PCIFunction
    let model: ScratchModel
    var bdf: BDF { function.bdf }

    init(_ configuration: FunctionConfiguration = Fixtures.fullConfiguration(), at bdf: BDF = BDF(bus: 0, device: 3, function: 0))
        throws
    {
        bus = PCIBus()
        function = try PCIFunction(configuration, at: bdf, services: bus.services)
        model = ScratchModel()
        function.model = model
        try bus.attach(function)
    }

    func read(_ offset: Int, _ width: AccessWidth = .dword) -> UInt32 {
        bus.configRead(bdf, ConfigOffset(offset), width: width)
    }

    func write(_ offset: Int, _ width: AccessWidth = .dword, _ value: UInt32) {
        bus.configWrite(bdf, ConfigOffset(offset), width: width, value: value)
    }

    /// Writes `value` and returns what reads back.
    func writeRead(_ offset: Int, _ width: AccessWidth, _ value: UInt32) -> UInt32 {
        write(offset, width, value)
        return read(offset, width)
    }

    /// Sets Command bits.
    func enable(memory: Bool = true, busMaster: Bool = false) {
        var v = UInt32(read(0x04, .word))
        if memory { v |= 0x2 }
        if busMaster { v |= 0x4 }
        write(0x04, .word, v)
    }
}
