/// Extended interrupt cause, mask, auto-clear and auto-mask state for up to 64 MSI-X vectors
/// (PF EICR/EIMS/EIAC/EIAM, VF VTEICR/VTEIMS/VTEIAC/VTEIAM; datasheet §7.3.1.4).
///
/// A cause whose vector is enabled sends the MSI-X message at once; sending auto-clears the
/// cause where EIAC says so and auto-masks the vector where EIAM says so. The caller signals the
/// vectors `raise` and `enable` return.
struct InterruptCauses {
    /// Pending causes, one bit per vector.
    var pending: UInt64 = 0
    /// Enabled vectors (EIMS).
    var enabled: UInt64 = 0
    /// Causes cleared when their message is sent (EIAC).
    var autoClear: UInt64 = 0
    /// Vectors masked when their message is sent (EIAM).
    var autoMask: UInt64 = 0

    /// Sets causes and returns the vectors whose message goes out now.
    mutating func raise(_ vectors: UInt64) -> UInt64 {
        pending |= vectors
        return send(vectors & enabled)
    }

    /// EIMS: enables vectors; pending causes of newly enabled vectors fire.
    mutating func enable(_ vectors: UInt64) -> UInt64 {
        let newly = vectors & ~enabled
        enabled |= vectors
        return send(newly & pending)
    }

    /// EIMC: disables vectors.
    mutating func disable(_ vectors: UInt64) { enabled &= ~vectors }

    /// W1C of causes.
    mutating func clear(_ vectors: UInt64) { pending &= ~vectors }

    private mutating func send(_ vectors: UInt64) -> UInt64 {
        pending &= ~(vectors & autoClear)
        enabled &= ~(vectors & autoMask)
        return vectors
    }
}

/// One IVAR entry (datasheet §8.2.3.5.13): vector number and valid bit.
struct VectorAllocation {
    /// Valid bit of an 8-bit entry.
    static let valid: UInt64 = 0x80

    /// The vector an 8-bit entry names, or nil if its valid bit is clear.
    @inline(__always) static func vector(_ entry: UInt64, vectorMask: UInt64) -> Int? {
        entry & valid != 0 ? Int(entry & vectorMask) : nil
    }

    /// The entry for RX (`tx` false) or TX queue `q` inside IVAR register `q / 2`.
    @inline(__always) static func entry(in register: UInt64, queue q: Int, tx: Bool) -> UInt64 {
        let shift = UInt64((q & 1) * 16 + (tx ? 8 : 0))
        return (register >> shift) & 0xFF
    }
}
