import CVFIOUser
import Foundation

extension VFIOUserEndpoint {
    /// DEVICE_SET_IRQS. MSI-X only (the other types report zero vectors; disabling them is
    /// accepted as a no-op). Trigger is the only action: like Linux `vfio-pci`, MSI-X vectors
    /// are not maskable through this call (the client masks in its own table emulation).
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
        guard set.index == VFIOUser.IRQ.msix else {
            closeAll(fds)
            guard set.index < VFIOUser.IRQ.count, isDisableAll else {
                note("SET_IRQS for interrupt type \(set.index), which this function does not offer")
                return .failure(.einval)
            }
            return .success([])
        }
        guard action == VFIOUser.IRQSetFlags.actionTrigger else {
            closeAll(fds)
            note("SET_IRQS: MSI-X vectors are not maskable through SET_IRQS")
            return .failure(.einval)
        }
        if isDisableAll {
            for v in vectorEventFDs.indices { assign(-1, to: v) }
            return .success([])
        }
        let vectors = UInt64(vectorEventFDs.count)
        guard set.count > 0, UInt64(set.start) + UInt64(set.count) <= vectors else {
            closeAll(fds)
            note("SET_IRQS vectors \(set.start)+\(set.count) outside the \(vectors) MSI-X vectors")
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
            for (i, v) in range.enumerated() { assign(fds.isEmpty ? -1 : fds[i], to: v) }
        case VFIOUser.IRQSetFlags.dataBool:
            for (i, v) in range.enumerated() where set.booleans[i] != 0 { _ = signal(v) }
        default:
            for v in range { _ = signal(v) }
        }
        return .success([])
    }

    private func assign(_ fd: Int32, to vector: Int) {
        let old = vectorEventFDs[vector]
        if old >= 0, old != fd { Foundation.close(old) }
        vectorEventFDs[vector] = fd
    }

    /// Writes the vector's eventfd. Returns false (and counts the loss) when the client gave
    /// none or the write failed.
    func signal(_ vector: Int) -> Bool {
        guard vector >= 0, vector < vectorEventFDs.count, vectorEventFDs[vector] >= 0,
            dbvu_eventfd_signal(vectorEventFDs[vector]) == 0
        else {
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
}
