/// Bits of the VF's VFMAILBOX register (datasheet §8.3.5.3.1, ixgbe_mbx.h).
public enum VFMailboxBits {
    /// VF requests the PF's attention (write).
    public static let request: UInt32 = 0x01
    /// VF acknowledges a PF message (write).
    public static let ack: UInt32 = 0x02
    /// VF holds the buffer.
    public static let vfLock: UInt32 = 0x04
    /// PF holds the buffer.
    public static let pfLock: UInt32 = 0x08
    /// PF wrote a message (read to clear).
    public static let pfStatus: UInt32 = 0x10
    /// PF acknowledged the VF's message (read to clear).
    public static let pfAck: UInt32 = 0x20
    /// PF reset in progress.
    public static let resetInProgress: UInt32 = 0x40
    /// Reset done (read to clear).
    public static let resetDone: UInt32 = 0x80
}

/// Bits of the PF's PFMAILBOX(n) register.
public enum PFMailboxBits {
    /// PF sends a message to the VF (write).
    public static let status: UInt32 = 0x01
    /// PF acknowledges the VF's message (write).
    public static let ack: UInt32 = 0x02
    /// VF holds the buffer (read).
    public static let vfLock: UInt32 = 0x04
    /// PF holds the buffer.
    public static let pfLock: UInt32 = 0x08
    /// Release the VF's lock (write).
    public static let resetVFLock: UInt32 = 0x10
}

/// Hardware state of one VF's mailbox (datasheet §7.10.3.2). The 16-dword memory lives in the PF
/// register file (PFMBMEM) and is shared with the VF's VFMBMEM window.
struct MailboxState {
    /// VFU: the VF holds the buffer.
    var vfLocked = false
    /// PFU: the PF holds the buffer.
    var pfLocked = false
    /// PFSTS latched for the VF (read to clear).
    var pfStatus = false
    /// PFACK latched for the VF (read to clear).
    var pfAck = false
    /// RSTI: the PF is in reset.
    var resetInProgress = false
    /// RSTD latched for the VF (read to clear).
    var resetDone = false

    /// VFMAILBOX as the VF reads it; clears the read-to-clear bits.
    mutating func readByVF() -> UInt32 {
        var v: UInt32 = 0
        if vfLocked { v |= VFMailboxBits.vfLock }
        if pfLocked { v |= VFMailboxBits.pfLock }
        if pfStatus { v |= VFMailboxBits.pfStatus }
        if pfAck { v |= VFMailboxBits.pfAck }
        if resetInProgress { v |= VFMailboxBits.resetInProgress }
        if resetDone { v |= VFMailboxBits.resetDone }
        pfStatus = false
        pfAck = false
        resetDone = false
        return v
    }

    /// PFMAILBOX as the PF reads it.
    func readByPF() -> UInt32 {
        (vfLocked ? PFMailboxBits.vfLock : 0) | (pfLocked ? PFMailboxBits.pfLock : 0)
    }
}
