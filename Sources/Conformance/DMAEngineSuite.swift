import DMAEngine
import Drivers
import PCIe

/// Device checks for the DMA engine, run through its reference driver: a copy lands byte for
/// byte, a bad descriptor gets the documented error code and the engine goes on, a descriptor
/// pointing outside the function's IOMMU domain faults without touching memory.
public struct DMAEngineSuite {
    /// Suite name in reports.
    public static let name = "dma-engine"
    private let bus: PCIBus
    private let bdf: BDF

    /// A suite for the engine at `bdf`.
    public init(bus: PCIBus, bdf: BDF) {
        self.bus = bus
        self.bdf = bdf
    }

    /// Runs every check with a fresh driver instance.
    public func run() -> [CheckResult] {
        let driver: DMAEngineDriver<BusDeviceAccess>
        do {
            driver = try DMAEngineDriver(device: bus.access(bdf), ringEntries: 16)
        } catch {
            return [CheckResult(suite: Self.name, name: "driver binds", function: bdf, failures: ["\(error)"])]
        }
        return [
            result("copy lands byte for byte with Done write-back and interrupt") { copyLands(driver, &$0) },
            result("bad length fails with code badLength and the engine continues") { badLength(driver, &$0) },
            result("DMA outside the IOMMU domain faults and is recorded") { isolation(driver, &$0) },
        ]
    }

    private func result(_ name: String, _ body: (inout CheckRecorder) -> Void) -> CheckResult {
        var r = CheckRecorder()
        body(&r)
        return CheckResult(suite: Self.name, name: name, function: bdf, failures: r.failures)
    }

    private func buffers(_ driver: DMAEngineDriver<BusDeviceAccess>, _ n: Int, _ r: inout CheckRecorder) -> (
        DMABuffer, DMABuffer
    )? {
        do {
            return (try driver.device.allocateDMA(n), try driver.device.allocateDMA(n))
        } catch {
            r.expect(false, "allocation: \(error)")
            return nil
        }
    }

    private func copyLands(_ driver: DMAEngineDriver<BusDeviceAccess>, _ r: inout CheckRecorder) {
        guard let (src, dst) = buffers(driver, 3000, &r) else { return }
        for i in 0..<src.count { src.host[i] = UInt8(truncatingIfNeeded: i &* 7 &+ 3) }
        let before = driver.bytesCopied
        do {
            try driver.copy(from: src.deviceAddress, to: dst.deviceAddress, length: 3000)
        } catch {
            r.expect(false, "copy failed: \(error)")
        }
        r.expect(src.host.elementsEqual(dst.host), "destination differs from source")
        r.expect(driver.bytesCopied &- before == 3000, "BytesCopied advanced by \(driver.bytesCopied &- before)")
    }

    private func badLength(_ driver: DMAEngineDriver<BusDeviceAccess>, _ r: inout CheckRecorder) {
        guard let (src, dst) = buffers(driver, 64, &r) else { return }
        let errorsBefore = driver.errorCount
        do {
            try driver.copy(from: src.deviceAddress, to: dst.deviceAddress, length: 0)
            r.expect(false, "zero-length descriptor was accepted")
        } catch .failed(let code, _) {
            r.expect(code == .badLength, "error code \(code), expected badLength")
        } catch {
            r.expect(false, "unexpected error \(error)")
        }
        r.expect(driver.errorCount == errorsBefore &+ 1, "ErrorCount did not advance")
        src.host[0] = 0xa5
        do {
            try driver.copy(from: src.deviceAddress, to: dst.deviceAddress, length: 64)
        } catch {
            r.expect(false, "engine did not continue after a bad descriptor: \(error)")
        }
        r.expect(dst.host[0] == 0xa5, "copy after the bad descriptor did not land")
    }

    private func isolation(_ driver: DMAEngineDriver<BusDeviceAccess>, _ r: inout CheckRecorder) {
        guard let (src, _) = buffers(driver, 256, &r) else { return }
        // A guest page this function never mapped.
        let foreign = bus.services.memory.allocate(4096)
        foreign.host.storeBytes(of: UInt32(0x600d_f00d), as: UInt32.self)
        let faultsBefore = bus.services.faults.total
        do {
            try driver.copy(from: src.deviceAddress, to: IOVA(foreign.base.value), length: 256)
            r.expect(false, "copy into unmapped memory succeeded")
        } catch .failed(let code, _) {
            r.expect(code == .destinationFault, "error code \(code), expected destinationFault")
        } catch {
            r.expect(false, "unexpected error \(error)")
        }
        r.expect(foreign.host.load(as: UInt32.self) == 0x600d_f00d, "foreign memory was written")
        let fault = bus.services.faults.faults.last
        r.expect(bus.services.faults.total == faultsBefore + 1, "fault log did not record exactly one fault")
        r.expect(
            fault?.function == bdf && fault?.address == IOVA(foreign.base.value) && fault?.access == .write,
            "fault record \(fault.map { "\($0)" } ?? "none") does not name \(bdf), the address and write")
    }
}
