import Intel82599
import PCIe

/// BAR0 offsets of one receive or transmit queue's registers, taken from the generated PF or VF
/// register tables, so the ring code is the same for both drivers.
@usableFromInline
struct IxgbeQueueRegisters: Sendable {
    typealias R = Intel82599PFRegisters
    typealias V = Intel82599VFRegisters

    @usableFromInline let baseLow: UInt64
    @usableFromInline let baseHigh: UInt64
    @usableFromInline let length: UInt64
    @usableFromInline let head: UInt64
    @usableFromInline let tail: UInt64
    @usableFromInline let control: UInt64
    /// SRRCTL (receive queues only; 0 for transmit queues).
    @usableFromInline let splitControl: UInt64
    /// The queue's index in the function's own numbering (for errors).
    @usableFromInline let queue: Int

    private init(
        queue: Int, baseLow: Int, baseHigh: Int, length: Int, head: Int, tail: Int, control: Int, splitControl: Int = 0
    ) {
        self.queue = queue
        self.baseLow = UInt64(baseLow)
        self.baseHigh = UInt64(baseHigh)
        self.length = UInt64(length)
        self.head = UInt64(head)
        self.tail = UInt64(tail)
        self.control = UInt64(control)
        self.splitControl = UInt64(splitControl)
    }

    /// PF receive queue `q` (0-63 in the 0x01000 bank, 64-127 in the 0x0D000 bank).
    static func pfReceive(_ q: Int) -> Self {
        if q < R.RDBAL.count {
            return Self(
                queue: q, baseLow: R.RDBAL.offset(q), baseHigh: R.RDBAH.offset(q), length: R.RDLEN.offset(q),
                head: R.RDH.offset(q), tail: R.RDT.offset(q), control: R.RXDCTL.offset(q), splitControl: R.SRRCTL.offset(q))
        }
        let n = q - R.RDBAL.count
        return Self(
            queue: q, baseLow: R.RDBAL64.offset(n), baseHigh: R.RDBAH64.offset(n), length: R.RDLEN64.offset(n),
            head: R.RDH64.offset(n), tail: R.RDT64.offset(n), control: R.RXDCTL64.offset(n), splitControl: R.SRRCTL64.offset(n))
    }

    /// PF transmit queue `q`.
    static func pfTransmit(_ q: Int) -> Self {
        Self(
            queue: q, baseLow: R.TDBAL.offset(q), baseHigh: R.TDBAH.offset(q), length: R.TDLEN.offset(q),
            head: R.TDH.offset(q), tail: R.TDT.offset(q), control: R.TXDCTL.offset(q))
    }

    /// VF receive queue `q`.
    static func vfReceive(_ q: Int) -> Self {
        Self(
            queue: q, baseLow: V.VFRDBAL.offset(q), baseHigh: V.VFRDBAH.offset(q), length: V.VFRDLEN.offset(q),
            head: V.VFRDH.offset(q), tail: V.VFRDT.offset(q), control: V.VFRXDCTL.offset(q), splitControl: V.VFSRRCTL.offset(q))
    }

    /// VF transmit queue `q`.
    static func vfTransmit(_ q: Int) -> Self {
        Self(
            queue: q, baseLow: V.VFTDBAL.offset(q), baseHigh: V.VFTDBAH.offset(q), length: V.VFTDLEN.offset(q),
            head: V.VFTDH.offset(q), tail: V.VFTDT.offset(q), control: V.VFTXDCTL.offset(q))
    }
}
