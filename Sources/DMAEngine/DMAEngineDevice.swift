import PCIe
import RegisterModel

/// The DMA engine's behaviour behind one function (PF or VF).
///
/// The register file (from DeviceSpecs/dmaengine/registers.yaml) applies access semantics; this
/// model adds the side effects: Reset, the tail doorbell that runs the ring, interrupt causes.
/// Every descriptor field is guest-controlled: bad lengths and unmapped addresses end as a
/// failed descriptor with an error code, a counted error and a recorded guest error; a ring that
/// cannot be read halts the engine until Reset. Nothing here traps on guest input.
public final class DMAEngineDevice: PCIDeviceModel {
    private typealias R = DMAEngineRegisters
    @exclusivity(unchecked) private var registers = RegisterFile(DMAEngineRegisters.block)
    private let dma: DMAPort
    private let msix: MSIXController?
    private let report: (GuestErrorKind, String) -> Void
    private let isPhysicalFunction: Bool

    /// The register BAR.
    public static let registerBAR = BARIndex(clamping: 0)
    /// The MSI-X BAR.
    public static let msixBAR = BARIndex(clamping: 3)

    /// Descriptors processed since creation (successful or not).
    public private(set) var descriptorsProcessed: UInt64 = 0

    /// Creates the model for `function`.
    public init(function: PCIFunction) {
        dma = function.dma
        msix = function.msix
        isPhysicalFunction = !function.configuration.isVirtualFunction
        report = { [unowned function] kind, detail in function.recordGuestError(kind, detail) }
    }

    // MARK: PCIDeviceModel

    public func barRead(_ bar: BARIndex, offset: UInt64, width: AccessWidth) -> UInt64 {
        guard bar == Self.registerBAR, let v = registers.guestRead(Int(offset), width: width.rawValue) else {
            report(.badMMIOAccess, "\(width.rawValue)-byte read of \(bar)+0x\(String(offset, radix: 16)): no register there")
            return 0
        }
        return v
    }

    public func barWrite(_ bar: BARIndex, offset: UInt64, width: AccessWidth, value: UInt64) {
        guard bar == Self.registerBAR, let register = registers.guestWrite(Int(offset), width: width.rawValue, value: value)
        else {
            report(
                .badMMIOAccess,
                "\(width.rawValue)-byte write of \(bar)+0x\(String(offset, radix: 16)): no register there; dropped")
            return
        }
        switch register {
        case R.Control.offset:
            if R.Control.softReset.isSet(in: value) {
                reset(.functionLevel)
                return
            }
            updateStatus()
            runRing()
        case R.RingTail.offset:
            runRing()
        case R.RingSize.offset:
            updateStatus()
        default:
            break
        }
    }

    public func reset(_ kind: ResetKind) {
        registers.reset()
    }

    public func makeVirtualFunction(index: Int, services: PlatformServices) -> PCIFunction? {
        guard isPhysicalFunction else { return nil }
        guard let vf = try? PCIFunction(DMAEngine.virtualFunctionConfiguration, at: BDF(routingID: 0), services: services)
        else { return nil }
        vf.model = DMAEngineDevice(function: vf)
        return vf
    }

    // MARK: Engine

    private var enabled: Bool { R.Control.enable.isSet(in: registers.value(at: R.Control.offset)) }
    private var halted: Bool { R.Status.halted.isSet(in: registers.value(at: R.Status.offset)) }

    private func updateStatus() {
        var status = registers.value(at: R.Status.offset)
        status = R.Status.running.insert(enabled && !halted ? 1 : 0, into: status)
        registers.set(R.Status.offset, status)
    }

    /// Processes descriptors from head up to tail.
    private func runRing() {
        guard enabled, !halted else { return }
        let entries = Int(registers.value(at: R.RingSize.offset))
        guard entries >= 2, entries <= 4096, entries & (entries - 1) == 0 else {
            report(.device, "doorbell with invalid RingSize \(entries)")
            return
        }
        let tail = Int(registers.value(at: R.RingTail.offset))
        guard tail < entries else {
            report(.device, "RingTail \(tail) outside a ring of \(entries)")
            return
        }
        let ring = registers.value(at: R.RingBaseHigh.offset) << 32 | registers.value(at: R.RingBaseLow.offset)
        var head = Int(registers.value(at: R.RingHead.offset)) & (entries - 1)
        var completion = false
        var failed = false
        while head != tail {
            let result = process(IOVA(ring &+ UInt64(head * DMAEngineDescriptor.size)), index: head)
            descriptorsProcessed &+= 1
            if result.code != .none { fail(result.code, index: head) }
            failed = failed || result.code != .none
            if result.code == .ringFault { break }
            completion = completion || (result.interrupt && result.code == .none)
            head = (head + 1) & (entries - 1)
        }
        registers.set(R.RingHead.offset, UInt64(head))
        if completion { registers.setBits(R.InterruptCause.offset, R.InterruptCause.completion.mask) }
        if completion || failed, R.Control.interruptEnable.isSet(in: registers.value(at: R.Control.offset)) {
            msix?.signal(0)
        }
    }

    private struct Outcome {
        var code: DMAEngineDescriptor.ErrorCode
        var interrupt: Bool
    }

    private func process(_ at: IOVA, index: Int) -> Outcome {
        typealias D = DMAEngineDescriptor
        let desc: UnsafeMutableRawPointer
        do {
            desc = try dma.hostPointer(at, length: UInt64(D.size), access: .read)
        } catch {
            return Outcome(code: .ringFault, interrupt: true)
        }
        let source = UInt64(littleEndian: desc.loadUnaligned(fromByteOffset: D.sourceOffset, as: UInt64.self))
        let destination = UInt64(littleEndian: desc.loadUnaligned(fromByteOffset: D.destinationOffset, as: UInt64.self))
        let length = UInt32(littleEndian: desc.loadUnaligned(fromByteOffset: D.lengthOffset, as: UInt32.self))
        let flags = UInt32(littleEndian: desc.loadUnaligned(fromByteOffset: D.flagsOffset, as: UInt32.self))
        var code = D.ErrorCode.none
        if length == 0 || length > D.maxLength {
            code = .badLength
        } else if let src = try? dma.hostPointer(IOVA(source), length: UInt64(length), access: .read) {
            if let dst = try? dma.hostPointer(IOVA(destination), length: UInt64(length), access: .write) {
                dst.copyMemory(from: src, byteCount: Int(length))
                registers.increment(R.BytesCopied.offset, by: UInt64(length))
            } else {
                code = .destinationFault
            }
        } else {
            code = .sourceFault
        }
        do {
            try dma.store(D.status(code), to: at.advanced(by: UInt64(D.statusOffset)))
        } catch {
            if code == .none { code = .writeBackFault }
        }
        if code == .none {
            registers.increment(R.CompletedCount.offset)
        }
        return Outcome(code: code, interrupt: flags & D.flagRequestInterrupt != 0)
    }

    private func fail(_ code: DMAEngineDescriptor.ErrorCode, index: Int) {
        registers.increment(R.ErrorCount.offset)
        let last = R.LastError.index.insert(UInt64(index), into: UInt64(code.rawValue))
        registers.set(R.LastError.offset, last)
        registers.setBits(R.InterruptCause.offset, R.InterruptCause.error.mask)
        if code == .ringFault {
            registers.setBits(R.Status.offset, R.Status.halted.mask)
            updateStatus()
        }
        report(.device, "descriptor \(index) failed: \(code)")
    }
}
