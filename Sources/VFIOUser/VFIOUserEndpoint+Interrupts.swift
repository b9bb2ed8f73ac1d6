import CVFIOUser
import Foundation

extension VFIOUserEndpoint {
    /// DEVICE_SET_IRQS for MSI-X and MSI (the other types report zero vectors; disabling them
    /// is accepted as a no-op). Trigger is the only action: like Linux `vfio-pci`, MSI and MSI-X
    /// vectors are not maskable through this call (the client masks in its own emulation of the
    /// table and of the MSI capability).
    func setIRQs(_ set: VFIOUserIRQSet, fileDescriptors fds: [Int32]) -> Result<[UInt8], VFIOUserErrno> {
        let dataType = set.flags & VFIOUser.IRQSetFlags.dataTypes
        let action = set.flags & VFIOUser.IRQSetFlags.actions
        guard set.flags & ~(VFIOUser.IRQSetFlags.dataTypes | VFIOUser.IRQSetFlags.actions) == 0,
            dataType.nonzeroBitCount == 1, action.nonzeroBitCount == 1
        else {
            closeAll(fds)
            note("SET_IRQS flags 0x\(String(set.flags, radix: 16)) are not one data type and one action")
            return .failure(.einval)
        }
        guard dataType == VFIOUser.IRQSetFlags.dataEventFD || fds.isEmpty else {
            closeAll(fds)
            return .failure(.einval)
        }
        let isDisableAll = dataType == VFIOUser.IRQSetFlags.dataNone && set.count == 0
        guard let kind = InterruptKind(index: set.index), eventFDs(kind).count > 0 else {
            closeAll(fds)
            guard set.index < VFIOUser.IRQ.count, isDisableAll else {
                note("SET_IRQS for interrupt type \(set.index), which this function does not offer")
                return .failure(.einval)
            }
            return .success([])
        }
        guard action == VFIOUser.IRQSetFlags.actionTrigger else {
            closeAll(fds)
            note("SET_IRQS: \(kind) vectors are not maskable through SET_IRQS")
            return .failure(.einval)
        }
        if isDisableAll {
            for v in eventFDs(kind).indices { assign(-1, to: v, of: kind) }
            return .success([])
        }
        let vectors = UInt64(eventFDs(kind).count)
        guard set.count > 0, UInt64(set.start) + UInt64(set.count) <= vectors else {
            closeAll(fds)
            note("SET_IRQS vectors \(set.start)+\(set.count) outside the \(vectors) \(kind) vectors")
            return .failure(.einval)
        }
        let range = Int(set.start)..<Int(set.start + set.count)
        switch dataType {
        case VFIOUser.IRQSetFlags.dataEventFD:
            guard fds.isEmpty || fds.count == range.count else {
                closeAll(fds)
                note("SET_IRQS: \(fds.count) eventfds for \(range.count) vectors")
                return .failure(.einval)
            }
            for (i, v) in range.enumerated() { assign(fds.isEmpty ? -1 : fds[i], to: v, of: kind) }
        case VFIOUser.IRQSetFlags.dataBool:
            for (i, v) in range.enumerated() where set.booleans[i] != 0 { _ = signal(v, kind) }
        default:
            for v in range { _ = signal(v, kind) }
        }
        return .success([])
    }

    /// The eventfd table of one interrupt type (empty for types the function does not offer).
    func eventFDs(_ kind: InterruptKind) -> [Int32] {
        switch kind {
        case .msix: vectorEventFDs
        case .msi: msiEventFDs
        }
    }

    private func assign(_ fd: Int32, to vector: Int, of kind: InterruptKind) {
        let old = eventFDs(kind)[vector]
        if old >= 0, old != fd { Foundation.close(old) }
        switch kind {
        case .msix: vectorEventFDs[vector] = fd
        case .msi: msiEventFDs[vector] = fd
        }
    }

    /// Writes the vector's eventfd, after any DMA writes to client memory the device made
    /// before raising it (an interrupt must never overtake its data). Returns false (and counts
    /// the loss) when the client gave none or the write failed.
    func signal(_ vector: Int, _ kind: InterruptKind = .msix) -> Bool {
        flushRemoteDMA()
        let fds = eventFDs(kind)
        guard vector >= 0, vector < fds.count, fds[vector] >= 0, dbvu_eventfd_signal(fds[vector]) == 0 else {
            statistics.interruptsWithoutEventFD &+= 1
            return false
        }
        statistics.interruptsSignalled &+= 1
        return true
    }

    /// Whether MSI-X `vector` has an eventfd.
    public func hasEventFD(vector: Int) -> Bool {
        vector >= 0 && vector < vectorEventFDs.count && vectorEventFDs[vector] >= 0
    }

    /// Whether MSI `vector` has an eventfd.
    public func hasMSIEventFD(vector: Int) -> Bool {
        vector >= 0 && vector < msiEventFDs.count && msiEventFDs[vector] >= 0
    }
}

/// The message-signalled interrupt types a client can hand eventfds for.
enum InterruptKind: CustomStringConvertible {
    case msi
    case msix

    /// The type a `VFIO_PCI_*_IRQ_INDEX` names, nil for INTx, ERR and REQ.
    init?(index: UInt32) {
        switch index {
        case VFIOUser.IRQ.msi: self = .msi
        case VFIOUser.IRQ.msix: self = .msix
        default: return nil
        }
    }

    var description: String {
        switch self {
        case .msi: "MSI"
        case .msix: "MSI-X"
        }
    }
}
