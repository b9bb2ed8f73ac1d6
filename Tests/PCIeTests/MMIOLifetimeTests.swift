import PCIe
import Testing

/// A VF model that runs `onWrite` inside its own MMIO write.
final class ReentrantVFModel: PCIDeviceModel {
    var onWrite: (() -> Void)?
    var writes = 0

    func barRead(_ bar: BARIndex, offset: UInt64, width: AccessWidth) -> UInt64 { 0x5a }
    func barWrite(_ bar: BARIndex, offset: UInt64, width: AccessWidth, value: UInt64) {
        writes += 1
        onWrite?()
    }
    func reset(_ kind: ResetKind) {}
}

/// A PF model whose VFs are ``ReentrantVFModel``s.
final class ReentrantPFModel: PCIDeviceModel {
    var vfModels: [ReentrantVFModel] = []

    func barRead(_ bar: BARIndex, offset: UInt64, width: AccessWidth) -> UInt64 { 0 }
    func barWrite(_ bar: BARIndex, offset: UInt64, width: AccessWidth, value: UInt64) {}
    func reset(_ kind: ResetKind) {}

    func makeVirtualFunction(index: Int, services: PlatformServices) -> PCIFunction? {
        let configuration = FunctionConfiguration.virtualFunction(
            identity: FunctionIdentity(
                vendorID: 0x8086, deviceID: 0x10ed, revision: 1, classCode: 0x020000, subsystemVendorID: 0x8086,
                subsystemID: 0x000c),
            capabilities: [])
        guard let vf = try? PCIFunction(configuration, at: BDF(routingID: 0), services: services) else { return nil }
        let model = ReentrantVFModel()
        vfModels.append(model)
        vf.model = model
        return vf
    }
}

/// Watches a function without keeping it.
final class WeakFunction {
    weak var function: PCIFunction?
    init(_ function: PCIFunction?) { self.function = function }
}

/// The bus routes MMIO without reference counting; a function that leaves the bus during an
/// access to it must stay alive until that access returns.
@Suite("MMIO routing and function lifetime")
struct MMIOLifetimeTests {
    @Test("A VF removed (VF Enable cleared) from inside its own MMIO write lives until the write returns")
    func functionRemovedDuringItsOwnAccess() throws {
        let b = try Bench()
        let pf = ReentrantPFModel()
        b.function.model = pf
        Firmware(bus: b.bus).enumerateAndAssign()
        b.write(0x170, .word, 2)  // NumVFs
        b.write(0x168, .word, 0x9)  // VF Enable | VF MSE
        // Only the bus holds the VF from here on.
        let (removed, bdf, address) = try { () throws -> (WeakFunction, BDF, UInt64) in
            let vf = try #require(b.function.virtualFunctions.first)
            return (WeakFunction(vf), vf.bdf, try #require(vf.barAddress(0)))
        }()
        #expect(b.bus.mmioRead(BusAddress(address), width: .dword) == 0x5a)
        let model = try #require(pf.vfModels.first)
        var aliveInside = false
        model.onWrite = { [bus = b.bus, pfBDF = b.bdf] in
            bus.configWrite(pfBDF, ConfigOffset(0x168), width: .word, value: 0)
            aliveInside = removed.function != nil && bus.function(at: bdf) == nil
        }
        b.bus.mmioWrite(BusAddress(address), width: .dword, value: 1)
        #expect(model.writes == 1)
        #expect(aliveInside, "the function outlived its removal while its access ran")
        #expect(b.function.virtualFunctions.isEmpty)
        #expect(b.bus.function(at: bdf) == nil)
        #expect(removed.function == nil, "and was released when the write returned")
        // The window went with the function: the old address is unmapped now.
        let before = b.bus.unmappedTotal
        #expect(b.bus.mmioRead(BusAddress(address), width: .dword) == 0xffff_ffff)
        #expect(b.bus.unmappedTotal == before + 1)
    }
}
