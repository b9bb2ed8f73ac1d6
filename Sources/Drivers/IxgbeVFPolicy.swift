import Network
import PCIe

/// What the PF driver allows each VF, and how much mailbox traffic it accepts (the
/// administrator's `ip link set ... vf N mac/vlan/trust/spoofchk` in one value).
public struct IxgbeVFPolicy: Sendable, Equatable {
    /// Settings of one VF.
    public struct VF: Sendable, Equatable {
        /// The MAC address the PF assigns (RAR entry, RESET reply). Nil: the VF gets none and its
        /// RESET is NACKed (it may still set one with SET_MAC_ADDR).
        public var macAddress: MACAddress?
        /// Port VLAN: the switch inserts this tag on everything the VF sends (VMVIR) and the VF
        /// receives only this VLAN; the VF may not change VLANs itself.
        public var defaultVLAN: UInt16?
        /// VLANs SET_VLAN may join; nil allows any.
        public var allowedVLANs: Set<UInt16>?
        /// A trusted VF may change its MAC address, add MAC filters and use ALLMULTI.
        public var trusted: Bool
        /// MAC (and, with a port VLAN, VLAN) anti-spoofing on transmit.
        public var spoofCheck: Bool
        /// Whether GET_RETA and GET_RSS_KEY are answered (`rss_query_en`).
        public var rssQueryEnabled: Bool
        /// What GET_LINK_STATE reports (the administrative link state).
        public var linkEnabled: Bool

        /// Settings with everything at the ixgbe defaults except what is given.
        public init(
            macAddress: MACAddress? = nil, defaultVLAN: UInt16? = nil, allowedVLANs: Set<UInt16>? = nil, trusted: Bool = false,
            spoofCheck: Bool = true, rssQueryEnabled: Bool = true, linkEnabled: Bool = true
        ) {
            self.macAddress = macAddress
            self.defaultVLAN = defaultVLAN
            self.allowedVLANs = allowedVLANs
            self.trusted = trusted
            self.spoofCheck = spoofCheck
            self.rssQueryEnabled = rssQueryEnabled
            self.linkEnabled = linkEnabled
        }

        /// Whether SET_VLAN may add `vid`.
        public func allows(vlan vid: UInt16) -> Bool {
            guard defaultVLAN == nil else { return false }
            return allowedVLANs?.contains(vid) ?? true
        }
    }

    /// Settings by VF index; VFs past the end get ``VF/init(macAddress:defaultVLAN:allowedVLANs:trusted:spoofCheck:rssQueryEnabled:linkEnabled:)``.
    public var vfs: [VF]
    /// Mailbox requests one VF may make per ``mailboxWindow``; more are NACKed and counted.
    public var mailboxRequestLimit: Int
    /// The window over which ``mailboxRequestLimit`` counts.
    public var mailboxWindow: VirtualDuration

    /// A policy from per-VF settings.
    public init(vfs: [VF] = [], mailboxRequestLimit: Int = 64, mailboxWindow: VirtualDuration = .milliseconds(10)) {
        self.vfs = vfs
        self.mailboxRequestLimit = mailboxRequestLimit
        self.mailboxWindow = mailboxWindow
    }

    /// `count` untrusted VFs with consecutive locally administered MACs from `base` (+ VF index).
    public static func sequentialMACs(count: Int, base: MACAddress = MACAddress(0x02_00_00_00_10_00)) -> IxgbeVFPolicy {
        IxgbeVFPolicy(vfs: (0..<max(count, 0)).map { VF(macAddress: MACAddress(base.value &+ UInt64($0))) })
    }

    /// Settings of VF `vf`.
    public subscript(vf: Int) -> VF {
        get { vf >= 0 && vf < vfs.count ? vfs[vf] : VF() }
        set {
            guard vf >= 0 else { return }
            while vfs.count <= vf { vfs.append(VF()) }
            vfs[vf] = newValue
        }
    }
}
