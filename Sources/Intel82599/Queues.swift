import RegisterModel

/// Which register of a queue's 0x40-byte register group an offset names (datasheet §8.2.3.8
/// and §8.2.3.9: the same relative layout for RX and TX, PF and VF).
enum QueueRegister: Int {
    case baseLow = 0x00
    case baseHigh = 0x04
    case length = 0x08
    case head = 0x10
    case splitControl = 0x14
    case tail = 0x18
    case control = 0x28
    case writeBackLow = 0x38
    case writeBackHigh = 0x3C
}

/// Hardware state of one receive queue, derived from its registers when they are written so the
/// per-frame path reads plain fields instead of decoding registers.
struct RxQueue {
    /// Device address of the ring.
    var ringBase: UInt64 = 0
    /// Descriptors in the ring (valid while `enabled`).
    var entries = 0
    /// Next descriptor hardware fills.
    var head = 0
    /// One past the last descriptor software gave to hardware.
    var tail = 0
    /// RXDCTL.Enable accepted (ring length was valid).
    var enabled = false
    /// Packet buffer size from SRRCTL.BSIZEPACKET.
    var bufferSize = 2048
    /// SRRCTL.DROP_EN.
    var dropEnable = false
    /// RXDCTL.VME: strip the 802.1Q tag into the descriptor.
    var stripVLAN = false
    /// Function that owns the queue: 0 the PF, n + 1 VF n.
    var owner = 0

    /// Descriptors software has given to hardware and hardware has not filled yet.
    var available: Int {
        let d = tail - head
        return d < 0 ? d + entries : d
    }
}

/// Hardware state of one transmit queue.
struct TxQueue {
    /// Device address of the ring.
    var ringBase: UInt64 = 0
    /// Descriptors in the ring (valid while `enabled`).
    var entries = 0
    /// Next descriptor hardware processes.
    var head = 0
    /// Doorbell: one past the last descriptor software posted.
    var tail = 0
    /// TXDCTL.Enable accepted.
    var enabled = false
    /// Head write-back address (TDWBAL/H with the enable bit), 0 when off.
    var headWriteBack: UInt64 = 0
    /// VLAN tag from the last context descriptor.
    var contextVLAN: UInt16 = 0
    /// Function that owns the queue: 0 the PF, n + 1 VF n.
    var owner = 0
}

/// Register-file slots of one queue's tail doorbells (RDT and TDT), each with the mask of the
/// bits a 32-bit guest write changes (``RegisterFile/guestWriteSlot(at:)``), so a doorbell
/// skips the offset lookup.
struct QueueTailSlots {
    var rx: RegisterSlot
    var tx: RegisterSlot

    /// The slots of every queue in `file` (the PF register file), by queue.
    static func all(in file: RegisterFile) -> [QueueTailSlots] {
        (0..<Intel82599.queueCount).map { q in
            QueueTailSlots(
                rx: file.guestWriteSlot(at: QueueOffsets.rx(q, .tail)) ?? file.discardSlot,
                tx: file.guestWriteSlot(at: QueueOffsets.tx(q, .tail)) ?? file.discardSlot)
        }
    }
}

/// How the 128 queues split into pools (datasheet §7.10.2.2, GCR_EXT.VT_Mode).
struct PoolLayout: Equatable {
    /// Pools in use (1 when virtualization is off).
    var pools = 1
    /// Queues per pool.
    var queuesPerPool = Intel82599.queueCount
    /// PFVTCTL.VT_Ena: pool filtering and the internal switch are active.
    var virtualizationEnabled = false
    /// PFVTCTL.DEF_PL: the PF's pool.
    var defaultPool = 0
    /// PFVTCTL.DIS_DEFPL: unmatched unicast from the wire is dropped instead of going to the PF.
    var defaultPoolDisabled = false

    /// Pool of queue `q`.
    @inline(__always) func pool(ofQueue q: Int) -> Int { q / queuesPerPool }
    /// First queue of `pool`.
    @inline(__always) func firstQueue(ofPool pool: Int) -> Int { pool * queuesPerPool }
}

/// PF register offsets of queue registers, for both RX banks and the TX bank.
enum QueueOffsets {
    /// Offset of `register` of RX queue `q` (queues 64-127 live in the 0x0D000 bank).
    @inline(__always) static func rx(_ q: Int, _ register: QueueRegister) -> Int {
        (q < 64 ? 0x01000 + 0x40 * q : 0x0D000 + 0x40 * (q - 64)) + register.rawValue
    }

    /// Offset of `register` of TX queue `q`.
    @inline(__always) static func tx(_ q: Int, _ register: QueueRegister) -> Int { 0x06000 + 0x40 * q + register.rawValue }

    /// Decodes a PF offset inside an RX queue group.
    static func decodeRx(_ offset: Int) -> (queue: Int, register: QueueRegister)? {
        let q: Int
        switch offset {
        case 0x01000..<0x02000: q = (offset - 0x01000) >> 6
        case 0x0D000..<0x0E000: q = 64 + ((offset - 0x0D000) >> 6)
        default: return nil
        }
        guard let r = QueueRegister(rawValue: offset & 0x3F), r.rawValue <= QueueRegister.control.rawValue else { return nil }
        return (q, r)
    }

    /// Queue and direction of an RDT (0x01018 + 0x40 n, 0x0D018 + 0x40 (n - 64)) or TDT
    /// (0x06018 + 0x40 n) offset, nil for any other offset.
    @inline(__always) static func decodeTail(_ offset: Int) -> (queue: Int, tx: Bool)? {
        guard offset & 0x3F == QueueRegister.tail.rawValue else { return nil }
        switch offset & ~0xFFF {
        case 0x01000: return ((offset & 0xFFF) >> 6, false)
        case 0x0D000: return (64 + ((offset & 0xFFF) >> 6), false)
        case 0x06000, 0x07000: return ((offset - 0x06000) >> 6, true)
        default: return nil
        }
    }

    /// Decodes a PF offset inside a TX queue group.
    static func decodeTx(_ offset: Int) -> (queue: Int, register: QueueRegister)? {
        guard (0x06000..<0x08000).contains(offset), let r = QueueRegister(rawValue: offset & 0x3F), r != .splitControl
        else { return nil }
        return ((offset - 0x06000) >> 6, r)
    }
}
