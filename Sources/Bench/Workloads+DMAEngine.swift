import CSpeedOfLight
import DMAEngine
import Drivers
import PCIe

/// Why a workload could not be set up.
public struct BenchSetupError: Error, CustomStringConvertible {
    /// What failed.
    public let description: String
}

/// A DMA engine PF on a fresh bus, enumerated by firmware and bound to the reference driver
/// through ``BusDeviceAccess``, so every access takes the same path a driver's does.
final class DMAEngineFixture {
    let bus: PCIBus
    let access: BusDeviceAccess
    let driver: DMAEngineDriver<BusDeviceAccess>
    /// Ring entries of the driver and of the C reference ring.
    static let ringEntries = 256

    init() throws {
        bus = PCIBus()
        let bdf = BDF(bus: 0, device: 1, function: 0)
        do {
            try bus.attach(try DMAEngine.makePhysicalFunction(at: bdf, services: bus.services))
        } catch {
            throw BenchSetupError(description: "DMA engine PF: \(error)")
        }
        Firmware(bus: bus).enumerateAndAssign()
        access = bus.access(bdf)
        do {
            driver = try DMAEngineDriver(device: access, ringEntries: Self.ringEntries)
        } catch {
            throw BenchSetupError(description: "DMA engine driver: \(error)")
        }
    }

    func allocate(_ size: Int) throws -> DMABuffer {
        do {
            return try access.allocateDMA(size)
        } catch {
            throw BenchSetupError(description: "DMA allocation of \(size) bytes: \(error)")
        }
    }
}

/// Host memory for the speed-of-light loops, freed with the instance.
final class HostBuffer {
    let pointer: UnsafeMutableRawPointer
    init(bytes: Int) {
        pointer = UnsafeMutableRawPointer.allocate(byteCount: Swift.max(bytes, 64), alignment: 4096)
        pointer.initializeMemory(as: UInt8.self, repeating: 0, count: Swift.max(bytes, 64))
    }
    deinit { pointer.deallocate() }
}

/// Owns a fixture and the C-side state of a workload.
final class DMAEngineBenchState {
    let fixture: DMAEngineFixture
    let reference: HostBuffer
    var failures = 0
    var head: UInt32 = 0
    init(fixture: DMAEngineFixture, reference: HostBuffer) {
        self.fixture = fixture
        self.reference = reference
    }
}

extension BenchWorkload {
    /// Offset of the DMA engine's Scratch register in BAR0.
    static let scratchOffset = UInt64(DMAEngineRegisters.Scratch.offset)

    /// Write then read the DMA engine's Scratch register through ``BusDeviceAccess``.
    public static let mmioRoundTrip = BenchWorkload(
        name: "mmio-roundtrip", operation: "round trip",
        summary:
            "write32 then read32 of DMA engine Scratch (BAR0+0x2C) via BusDeviceAccess: bus routing, function, model, register file",
        speedOfLightSummary: "volatile 32-bit store then load of one word in a 16-word array (C)"
    ) {
        let state = DMAEngineBenchState(fixture: try DMAEngineFixture(), reference: HostBuffer(bytes: 64))
        let access = state.fixture.access
        let bar = DMAEngineDevice.registerBAR
        let registers = state.reference.pointer.assumingMemoryBound(to: UInt32.self)
        let index = UInt32(scratchOffset / 4)
        return BenchInstance(
            emulated: { n in
                var sum: UInt64 = 0
                for i in 0..<n {
                    access.write32(bar, scratchOffset, UInt32(truncatingIfNeeded: i))
                    sum &+= UInt64(access.read32(bar, scratchOffset))
                }
                return sum
            },
            speedOfLight: { n in sol_register_roundtrip(registers, index, UInt64(n)) },
            owner: state)
    }

    /// Read the DMA engine's Scratch register through ``BusDeviceAccess``.
    public static let mmioRead = BenchWorkload(
        name: "mmio-read", operation: "read",
        summary: "read32 of DMA engine Scratch (BAR0+0x2C) via BusDeviceAccess",
        speedOfLightSummary: "volatile 32-bit load of one word (C)"
    ) {
        let state = DMAEngineBenchState(fixture: try DMAEngineFixture(), reference: HostBuffer(bytes: 64))
        let access = state.fixture.access
        let bar = DMAEngineDevice.registerBAR
        let registers = state.reference.pointer.assumingMemoryBound(to: UInt32.self)
        let index = UInt32(scratchOffset / 4)
        return BenchInstance(
            emulated: { n in
                var sum: UInt64 = 0
                for _ in 0..<n { sum &+= UInt64(access.read32(bar, scratchOffset)) }
                return sum
            },
            speedOfLight: { n in sol_register_read(registers, index, UInt64(n)) },
            owner: state)
    }

    /// Descriptors per doorbell in the DMA copy workloads.
    public static let dmaBatch = 32

    /// Ring copies of `payload` bytes: post ``dmaBatch`` descriptors, one doorbell, reclaim.
    public static func dmaCopy(payload: Int, label: String) -> BenchWorkload {
        let batch = dmaBatch
        return BenchWorkload(
            name: "dma-copy-\(label)", operation: "descriptor",
            summary: "driver posts \(batch) descriptors of \(label), one RingTail doorbell (model reads each descriptor, "
                + "IOMMU-checks and copies the payload, writes back status), driver reclaims",
            speedOfLightSummary: "C: write \(batch) descriptors, read each, memcpy \(label) between the same host buffers, "
                + "write status Done, read statuses",
            operationsPerIteration: batch, bytesPerOperation: payload
        ) {
            let fixture = try DMAEngineFixture()
            let source = try fixture.allocate(batch * payload)
            let destination = try fixture.allocate(batch * payload)
            for i in 0..<source.count { source.host[i] = UInt8(truncatingIfNeeded: i &* 31 &+ 7) }
            let entries = UInt32(DMAEngineFixture.ringEntries)
            let state = DMAEngineBenchState(
                fixture: fixture, reference: HostBuffer(bytes: Int(entries) * DMAEngineDescriptor.size))
            let driver = fixture.driver
            let length = UInt32(payload)
            let sourceHost = UnsafeRawPointer(source.host.baseAddress)
            let destinationHost = destination.host.baseAddress
            let ring = state.reference.pointer
            return BenchInstance(
                emulated: { n in
                    var done: UInt64 = 0
                    for _ in 0..<n {
                        do {
                            for i in 0..<batch {
                                try driver.post(
                                    from: source.deviceAddress(at: i &* payload),
                                    to: destination.deviceAddress(at: i &* payload), length: length)
                            }
                            driver.ringDoorbell()
                            let reclaimed = try driver.reclaim()
                            done &+= UInt64(reclaimed)
                            if reclaimed != batch { state.failures += 1 }
                        } catch {
                            state.failures += 1
                        }
                    }
                    return done
                },
                speedOfLight: { n in
                    var sum: UInt64 = 0
                    for _ in 0..<n {
                        let head = state.head
                        state.head = sol_ring_post(ring, entries, head, UInt32(batch), sourceHost, destinationHost, length)
                        sum &+= sol_ring_copy(ring, entries, head, UInt32(batch))
                        sum &+= UInt64(sol_ring_reclaim(ring, entries, head, UInt32(batch)))
                    }
                    return sum
                },
                failures: { state.failures },
                owner: state)
        }
    }
}
