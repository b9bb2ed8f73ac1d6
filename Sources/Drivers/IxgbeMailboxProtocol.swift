import Network

/// Message ids of the ixgbe PF/VF mailbox protocol (Linux `ixgbe_mbx.h`, DPDK `ixgbe_mbx.h`).
///
/// The id sits in bits 15:0 of word 0 of a message; bits 23:16 carry MSGINFO (a count, a flag or
/// an index, depending on the message) and bits 31:29 the ACK, NACK and CTS flags of a reply.
public enum IxgbeMailboxMessageID: UInt16, Sendable, CaseIterable {
    /// VF reset request; the reply carries the VF's MAC address and the multicast filter type.
    case reset = 0x01
    /// Set the VF's unicast address (MAC in words 1-2, RAL/RAH byte order).
    case setMACAddress = 0x02
    /// Set the VF's multicast filters: count in MSGINFO, 16-bit MTA hashes from word 1.
    case setMulticast = 0x03
    /// Add (MSGINFO 1) or remove (MSGINFO 0) VLAN id `word 1 & 0xfff`.
    case setVLAN = 0x04
    /// Set the largest frame the VF receives (word 1).
    case setLPE = 0x05
    /// Add an extra unicast filter (index in MSGINFO, MAC in words 1-2).
    case setMACVLAN = 0x06
    /// Negotiate the protocol version (word 1 is an ``IxgbeMailboxAPI`` raw value).
    case apiNegotiate = 0x08
    /// Ask for the pool's queues; reply words 1-4: TX queues, RX queues, transparent VLAN,
    /// default queue.
    case getQueues = 0x09
    /// Read the PF's redirection table (82599: 128 entries of 2 bits in words 1-8).
    case getRETA = 0x0a
    /// Read the PF's 40-byte RSS key (words 1-10).
    case getRSSKey = 0x0b
    /// Set the VF's multicast/broadcast/promiscuous reception (word 1 is an ``IxgbeXcastMode``).
    case updateXcastMode = 0x0c
    /// Whether the PF lets the VF's link be up (reply word 1).
    case getLinkState = 0x10
    /// PF-originated control message ("ping"); never sent by a VF.
    case pfControl = 0x0100
}

/// Bits of mailbox word 0 beyond the message id.
public enum IxgbeMailboxFlags {
    /// The request succeeded (`IXGBE_VT_MSGTYPE_ACK` / SUCCESS).
    public static let ack: UInt32 = 0x8000_0000
    /// The request failed (`IXGBE_VT_MSGTYPE_NACK` / FAILURE).
    public static let nack: UInt32 = 0x4000_0000
    /// The PF considers the VF clear to send (it completed a reset handshake).
    public static let clearToSend: UInt32 = 0x2000_0000
    /// MSGINFO, bits 23:16.
    public static let infoMask: UInt32 = 0x00FF_0000
    /// Shift of MSGINFO.
    public static let infoShift: UInt32 = 16
    /// Message id, bits 15:0.
    public static let idMask: UInt32 = 0x0000_FFFF
}

/// Mailbox protocol versions as API_NEGOTIATE carries them: the position in the ixgbe enum,
/// not the version number (1.0 = 0, 2.0 = 1, 1.1 = 2, ...).
public enum IxgbeMailboxAPI: UInt32, Sendable, CaseIterable, CustomStringConvertible {
    /// 1.0: RESET, SET_MAC_ADDR, SET_MULTICAST, SET_VLAN, SET_LPE, SET_MACVLAN.
    case version10 = 0
    /// 2.0 (Solaris VFs); accepted by Linux PFs only for GET_QUEUES. Not negotiated here.
    case version20 = 1
    /// 1.1: GET_QUEUES, jumbo frames.
    case version11 = 2
    /// 1.2: GET_RETA, GET_RSS_KEY, UPDATE_XCAST_MODE (up to ALLMULTI), GET_LINK_STATE.
    case version12 = 3
    /// 1.3: UPDATE_XCAST_MODE PROMISC.
    case version13 = 4
    /// 1.4: IPsec offload messages (not modelled; negotiates like 1.3).
    case version14 = 5

    /// Versions a VF driver tries, newest first (ixgbevf's order).
    public static let preferenceOrder: [IxgbeMailboxAPI] = [.version14, .version13, .version12, .version11, .version10]

    /// Whether this version includes everything `other` does (2.0 only includes 1.0 and itself).
    public func includes(_ other: IxgbeMailboxAPI) -> Bool {
        if self == other { return true }
        if self == .version20 || other == .version20 { return other == .version10 }
        return rank >= other.rank
    }

    private var rank: Int {
        switch self {
        case .version10: 0
        case .version11: 1
        case .version12: 2
        case .version13: 3
        case .version14: 4
        case .version20: 1
        }
    }

    public var description: String {
        switch self {
        case .version10: "1.0"
        case .version20: "2.0"
        case .version11: "1.1"
        case .version12: "1.2"
        case .version13: "1.3"
        case .version14: "1.4"
        }
    }
}

/// Multicast/broadcast reception modes of UPDATE_XCAST_MODE (`IXGBEVF_XCAST_MODE_*`).
public enum IxgbeXcastMode: UInt32, Sendable, CaseIterable {
    /// No broadcast, no multicast.
    case none = 0
    /// Broadcast and the multicast addresses the VF registered (SET_MULTICAST).
    case multi = 1
    /// Broadcast and every multicast address (needs a trusted VF).
    case allMulti = 2
    /// Everything the port sees (needs a trusted VF; the 82599 has no per-pool unicast promiscuous).
    case promiscuous = 3
}

/// Word positions and limits of individual messages.
public enum IxgbeMailboxLayout {
    /// Dwords in a mailbox message.
    public static let words = 16
    /// Words of the RESET reply (word 0, MAC in words 1-2, multicast filter type in word 3).
    public static let resetReplyWords = 4
    /// RESET reply word holding the multicast filter type (MCSTCTRL.MO).
    public static let multicastFilterTypeWord = 3
    /// GET_QUEUES reply: TX queues.
    public static let transmitQueuesWord = 1
    /// GET_QUEUES reply: RX queues.
    public static let receiveQueuesWord = 2
    /// GET_QUEUES reply: transparent VLAN (the PF inserts/strips a port VLAN).
    public static let transparentVLANWord = 3
    /// GET_QUEUES reply: default queue.
    public static let defaultQueueWord = 4
    /// Most multicast hashes SET_MULTICAST carries (`IXGBE_MAX_VF_MC_ENTRIES`).
    public static let maxMulticastEntries = 30
    /// Entries of the 82599 redirection table.
    public static let redirectionEntries = 128
    /// Bytes of the RSS key.
    public static let rssKeyBytes = 40
    /// Largest frame SET_LPE accepts on the 82599 (`IXGBE_MAX_JUMBO_FRAME_SIZE`).
    public static let maxFrameSize: UInt32 = 9728
    /// Smallest frame SET_LPE accepts (a 68-byte MTU plus the Ethernet header).
    public static let minFrameSize: UInt32 = 68 + 14
}

/// One 16-dword mailbox message, as the VF writes it to VFMBMEM and the PF reads it from PFMBMEM.
public struct IxgbeMailboxMessage: Equatable, Sendable, CustomStringConvertible {
    /// The dwords; always ``IxgbeMailboxLayout/words`` of them.
    public private(set) var words: [UInt32]

    /// A message of all-zero words.
    public init() { words = [UInt32](repeating: 0, count: IxgbeMailboxLayout.words) }

    /// A message from raw words (padded with zeros or cut to 16).
    public init(words raw: [UInt32]) {
        var w = Array(raw.prefix(IxgbeMailboxLayout.words))
        if w.count < IxgbeMailboxLayout.words { w += [UInt32](repeating: 0, count: IxgbeMailboxLayout.words - w.count) }
        words = w
    }

    /// A request: `id` in word 0 with `info` in MSGINFO, then `payload` from word 1.
    public init(_ id: IxgbeMailboxMessageID, info: UInt8 = 0, payload: [UInt32] = []) {
        self.init(words: [UInt32(id.rawValue) | UInt32(info) << IxgbeMailboxFlags.infoShift] + payload)
    }

    /// Word `i` (0 outside 0..<16); writes outside are ignored.
    public subscript(_ i: Int) -> UInt32 {
        get { i >= 0 && i < words.count ? words[i] : 0 }
        set { if i >= 0, i < words.count { words[i] = newValue } }
    }

    /// Raw message id (bits 15:0 of word 0).
    public var rawID: UInt16 { UInt16(truncatingIfNeeded: self[0] & IxgbeMailboxFlags.idMask) }
    /// The message id, nil if unknown.
    public var id: IxgbeMailboxMessageID? { IxgbeMailboxMessageID(rawValue: rawID) }
    /// MSGINFO (bits 23:16 of word 0).
    public var info: UInt8 {
        get { UInt8(truncatingIfNeeded: (self[0] & IxgbeMailboxFlags.infoMask) >> IxgbeMailboxFlags.infoShift) }
        set { self[0] = (self[0] & ~IxgbeMailboxFlags.infoMask) | UInt32(newValue) << IxgbeMailboxFlags.infoShift }
    }
    /// The reply reports success.
    public var isAck: Bool { self[0] & IxgbeMailboxFlags.ack != 0 }
    /// The reply reports failure.
    public var isNack: Bool { self[0] & IxgbeMailboxFlags.nack != 0 }
    /// The PF marked the VF clear to send.
    public var isClearToSend: Bool { self[0] & IxgbeMailboxFlags.clearToSend != 0 }

    /// Sets ACK or NACK (and CTS) in word 0, clearing any earlier result.
    public mutating func setResult(ack: Bool, clearToSend: Bool) {
        var w = self[0] & ~(IxgbeMailboxFlags.ack | IxgbeMailboxFlags.nack | IxgbeMailboxFlags.clearToSend)
        w |= ack ? IxgbeMailboxFlags.ack : IxgbeMailboxFlags.nack
        if clearToSend { w |= IxgbeMailboxFlags.clearToSend }
        self[0] = w
    }

    /// The MAC address in words 1-2 (RAL/RAH byte order: first octet in bits 7:0 of word 1).
    public var macAddress: MACAddress {
        get { MACAddress(receiveAddressLow: self[1], high: UInt16(truncatingIfNeeded: self[2])) }
        set {
            self[1] = newValue.receiveAddressLow
            self[2] = UInt32(newValue.receiveAddressHigh)
        }
    }

    /// The 16-bit value at half-word `i` counted from word 1 (SET_MULTICAST hash list).
    public func halfWord(_ i: Int) -> UInt16 {
        let w = self[1 + i / 2]
        return UInt16(truncatingIfNeeded: i % 2 == 0 ? w : w >> 16)
    }

    /// Sets the 16-bit value at half-word `i` counted from word 1.
    public mutating func setHalfWord(_ i: Int, _ value: UInt16) {
        let at = 1 + i / 2
        let shift: UInt32 = i % 2 == 0 ? 0 : 16
        self[at] = (self[at] & ~(0xFFFF << shift)) | UInt32(value) << shift
    }

    public var description: String {
        let name = id.map { "\($0)" } ?? "0x\(String(rawID, radix: 16))"
        let flags = (isAck ? "|ACK" : "") + (isNack ? "|NACK" : "") + (isClearToSend ? "|CTS" : "")
        return "\(name)\(flags) info=\(info) [" + words.prefix(4).map { String($0, radix: 16) }.joined(separator: " ") + " ...]"
    }
}

/// The 12-bit MTA hash of a multicast address for filter type `filterType` (MCSTCTRL.MO), as
/// ixgbevf computes it before SET_MULTICAST and the PF uses it to index the MTA.
public func ixgbeMulticastHash(_ mac: MACAddress, filterType: UInt32) -> UInt16 {
    let o4 = UInt16(truncatingIfNeeded: mac.value >> 8) & 0xFF
    let o5 = UInt16(truncatingIfNeeded: mac.value) & 0xFF
    let v: UInt16
    switch filterType {
    case 0: v = (o4 >> 4) | (o5 << 4)
    case 1: v = (o4 >> 3) | (o5 << 5)
    case 2: v = (o4 >> 2) | (o5 << 6)
    default: v = o4 | (o5 << 8)
    }
    return v & 0xFFF
}
