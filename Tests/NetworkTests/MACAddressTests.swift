import Network
import TestSupport
import Testing

@Test func macTextParsesColonAndHyphenFormsAndFormatsLowercaseColons() throws {
    let colon = try #require(MACAddress("02:00:00:00:00:01"))
    #expect(colon.value == 0x0200_0000_0001)
    #expect(colon.description == "02:00:00:00:00:01")
    let hyphen = try #require(MACAddress("AA-bb-0C-d-E0-ff"))
    #expect(hyphen.value == 0xAABB_0C0D_E0FF)
    #expect(hyphen.description == "aa:bb:0c:0d:e0:ff")
}

@Test(arguments: [
    "", "02:00:00:00:00", "02:00:00:00:00:01:03", "02:00:00:00:00:0g", "002:00:00:00:00:01", "02:00:00:00:00:",
    "+2:00:00:00:00:01", "02:00-00:00:00:01", "02 00 00 00 00 01", "0200.0000.0001",
])
func macTextRejectsMalformedInput(_ text: String) {
    #expect(MACAddress(text) == nil)
}

@Test func macOctetsLoadAndStoreUseWireOrder() throws {
    let address = MACAddress(0x001B_21AA_BBCC)
    #expect(address.octets == [0x00, 0x1B, 0x21, 0xAA, 0xBB, 0xCC])
    #expect(MACAddress(octets: address.octets) == address)
    #expect(MACAddress(octets: [1, 2, 3, 4, 5]) == nil)
    #expect(MACAddress(octets: [1, 2, 3, 4, 5, 6, 7]) == nil)
    var bytes = [UInt8](repeating: 0xEE, count: 8)
    bytes.withUnsafeMutableBytes { buffer in
        if let base = buffer.baseAddress { address.store(to: base + 1) }
    }
    #expect(bytes == [0xEE, 0x00, 0x1B, 0x21, 0xAA, 0xBB, 0xCC, 0xEE])
    let loaded = bytes.withUnsafeBytes { buffer in buffer.baseAddress.map { MACAddress(loadingFrom: $0 + 1) } }
    #expect(loaded == address)
    #expect(MACAddress(0xFFFF_0200_0000_0001).value == 0x0200_0000_0001)
}

@Test func macReceiveAddressRegistersHoldOctetZeroInTheLowByte() {
    let address = MACAddress(0x001B_21AA_BBCC)
    #expect(address.receiveAddressLow == 0xAA21_1B00)
    #expect(address.receiveAddressHigh == 0xCCBB)
    #expect(MACAddress(receiveAddressLow: 0xAA21_1B00, high: 0xCCBB) == address)
}

@Test func macReceiveAddressRoundTripsForRandomAddresses() {
    var random = SplitMix64(seed: 0x5EED_0001)
    for _ in 0..<1000 {
        let address = MACAddress(random.next())
        let back = MACAddress(receiveAddressLow: address.receiveAddressLow, high: address.receiveAddressHigh)
        #expect(back == address)
        #expect(MACAddress(address.description) == address)
    }
}

@Test func macGroupBitsClassifyBroadcastMulticastAndUnicast() throws {
    #expect(MACAddress.broadcast.isBroadcast)
    #expect(MACAddress.broadcast.isMulticast)
    let multicast = try #require(MACAddress("01:00:5e:00:00:01"))
    #expect(multicast.isMulticast && !multicast.isBroadcast && !multicast.isUnicast)
    #expect(Hosts.nic.isUnicast && !Hosts.nic.isMulticast && Hosts.nic.isLocallyAdministered)
    #expect(!MACAddress(0x001B_21AA_BBCC).isLocallyAdministered)
}
