import DMAEngine
import Drivers
import PCIe

/// The result of one smoke check.
public struct SmokeResult: Sendable, Equatable {
    /// The function checked.
    public let function: BDF
    /// What was checked (device kind and role).
    public let subject: String
    /// Whether it passed.
    public let passed: Bool
    /// What happened, in numbers.
    public let detail: String
}

extension VirtualHost {
    /// Runs a short workload on every bound device and verifies the results.
    ///
    /// DMA engine: copies `chunks` x `chunkSize` bytes of a pattern seeded by the function's
    /// address through the ring, one interrupt per descriptor, then compares every byte and
    /// checks the engine's counters.
    public func runSmoke(chunks: Int = 16, chunkSize: Int = 4096) -> [SmokeResult] {
        nics.flatMap { smokeIntel82599($0) } + enas.flatMap { smokeENA($0) } + storage.flatMap { smokeNVMe($0) }
            + dmaEngines.map { smokeDMAEngine($0.bdf, $0.driver, chunks: chunks, chunkSize: chunkSize) }
    }

    /// Fills `bytes` with a deterministic pattern (the top byte of a 64-bit LCG started at `seed`).
    static func fillPattern(_ bytes: UnsafeMutableRawBufferPointer, seed: UInt64) {
        var state = seed
        for i in 0..<bytes.count {
            state = state &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
            bytes[i] = UInt8(truncatingIfNeeded: state >> 56)
        }
    }

    private func smokeDMAEngine(_ bdf: BDF, _ driver: DMAEngineDriver<BusDeviceAccess>, chunks: Int, chunkSize: Int)
        -> SmokeResult
    {
        let role = bus.function(at: bdf)?.isVirtualFunction == true ? "dma-engine VF" : "dma-engine PF"
        func fail(_ why: String) -> SmokeResult { SmokeResult(function: bdf, subject: role, passed: false, detail: why) }
        let total = chunks * chunkSize
        let src: DMABuffer
        let dst: DMABuffer
        do {
            src = try driver.device.allocateDMA(total)
            dst = try driver.device.allocateDMA(total)
        } catch {
            return fail("allocation: \(error)")
        }
        Self.fillPattern(src.host, seed: UInt64(bdf.routingID) | 0x9e37_79b9_0000_0000)
        let interruptsBefore = bus.function(at: bdf)?.msix?.delivered[0] ?? 0
        let completedBefore = driver.completedCount
        do {
            for c in 0..<chunks {
                try driver.copy(
                    from: src.deviceAddress(at: c * chunkSize), to: dst.deviceAddress(at: c * chunkSize),
                    length: UInt32(chunkSize))
            }
        } catch {
            return fail("copy: \(error)")
        }
        guard src.host.elementsEqual(dst.host) else { return fail("destination differs from source") }
        let completed = driver.completedCount &- completedBefore
        let interrupts = (bus.function(at: bdf)?.msix?.delivered[0] ?? 0) - interruptsBefore
        guard completed == UInt32(chunks), interrupts == UInt64(chunks) else {
            return fail("counters: \(completed) completions, \(interrupts) interrupts for \(chunks) descriptors")
        }
        return SmokeResult(
            function: bdf, subject: role, passed: true,
            detail: "copied \(total / 1024) KiB in \(chunks) descriptors, \(interrupts) MSI-X interrupts, verified")
    }
}
