import Intel82599
import Network
import PCIe

extension IxgbeVFDriver {
    /// Asks the PF to use `mac` as the VF's address (SET_MAC_ADDR).
    public func setMACAddress(_ mac: MACAddress) throws(IxgbeDriverError) {
        var m = IxgbeMailboxMessage(.setMACAddress)
        m.macAddress = mac
        _ = try transact(m)
        macAddress = mac
    }

    /// Registers `mac` as a multicast address the VF wants (SET_MULTICAST with the whole list,
    /// as ixgbevf sends it; at most 30 addresses).
    public func addMulticast(_ mac: MACAddress) throws(IxgbeDriverError) {
        guard mac.isMulticast else { throw .invalidConfiguration("\(mac) is not a multicast address") }
        var list = multicastAddresses
        if !list.contains(mac) { list.append(mac) }
        try setMulticast(list)
    }

    /// Replaces the VF's multicast list (SET_MULTICAST).
    public func setMulticast(_ list: [MACAddress]) throws(IxgbeDriverError) {
        guard list.count <= IxgbeMailboxLayout.maxMulticastEntries else {
            throw .invalidConfiguration("\(list.count) multicast addresses, at most \(IxgbeMailboxLayout.maxMulticastEntries)")
        }
        var m = IxgbeMailboxMessage(.setMulticast, info: UInt8(list.count))
        for (i, mac) in list.enumerated() { m.setHalfWord(i, ixgbeMulticastHash(mac, filterType: multicastFilterType)) }
        _ = try transact(m)
        multicastAddresses = list
    }

    /// Joins (`add`) or leaves VLAN `vid` (SET_VLAN).
    public func setVLAN(_ vid: UInt16, add: Bool) throws(IxgbeDriverError) {
        guard vid < 4096 else { throw .invalidConfiguration("VLAN \(vid) is not in 0...4095") }
        _ = try transact(IxgbeMailboxMessage(.setVLAN, info: add ? 1 : 0, payload: [UInt32(vid)]))
    }

    /// Sets the largest frame the VF receives (SET_LPE).
    public func setMaxFrameSize(_ bytes: Int) throws(IxgbeDriverError) {
        guard bytes > 0, bytes <= Int(IxgbeMailboxLayout.maxFrameSize) else {
            throw .invalidConfiguration("frame size \(bytes) is out of range")
        }
        _ = try transact(IxgbeMailboxMessage(.setLPE, payload: [UInt32(bytes)]))
    }

    /// Asks for a multicast/broadcast mode (UPDATE_XCAST_MODE, API 1.2+); returns the mode the PF
    /// granted (an untrusted VF gets at most ``IxgbeXcastMode/multi``).
    @discardableResult
    public func setXcastMode(_ mode: IxgbeXcastMode) throws(IxgbeDriverError) -> IxgbeXcastMode {
        try require(.version12, for: .updateXcastMode)
        let reply = try transact(IxgbeMailboxMessage(.updateXcastMode, payload: [mode.rawValue]))
        guard let granted = IxgbeXcastMode(rawValue: reply[1]) else { throw .unexpectedReply(reply) }
        return granted
    }

    /// The PF's redirection table as the VF sees it (GET_RETA, API 1.2+): 128 entries of 2 bits.
    public func getRETA() throws(IxgbeDriverError) -> [UInt8] {
        try require(.version12, for: .getRETA)
        let reply = try transact(IxgbeMailboxMessage(.getRETA))
        var table = [UInt8](repeating: 0, count: IxgbeMailboxLayout.redirectionEntries)
        for i in 0..<table.count { table[i] = UInt8(truncatingIfNeeded: reply[1 + i / 16] >> UInt32(2 * (i % 16))) & 0x3 }
        return table
    }

    /// The PF's 40-byte RSS key (GET_RSS_KEY, API 1.2+).
    public func getRSSKey() throws(IxgbeDriverError) -> [UInt8] {
        try require(.version12, for: .getRSSKey)
        let reply = try transact(IxgbeMailboxMessage(.getRSSKey))
        var key = [UInt8](repeating: 0, count: IxgbeMailboxLayout.rssKeyBytes)
        for i in 0..<key.count { key[i] = UInt8(truncatingIfNeeded: reply[1 + i / 4] >> UInt32(8 * (i % 4))) }
        return key
    }

    /// Whether the PF lets the VF's link be up (GET_LINK_STATE, API 1.2+).
    public func getLinkState() throws(IxgbeDriverError) -> Bool {
        try require(.version12, for: .getLinkState)
        return try transact(IxgbeMailboxMessage(.getLinkState))[1] != 0
    }

    private func require(_ version: IxgbeMailboxAPI, for id: IxgbeMailboxMessageID) throws(IxgbeDriverError) {
        guard let api else { throw .notStarted }
        guard api.includes(version), api != .version20 else { throw .unsupportedByAPI(id, api) }
    }
}
