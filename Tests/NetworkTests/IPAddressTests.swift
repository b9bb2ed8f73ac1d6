import Network
import Testing

@Test func ipv4TextParsesToTheWireOrderValue() throws {
    let address = try #require(IPv4Address("66.9.149.187"))
    #expect(address.value == 0x4209_95BB)
    #expect(address.description == "66.9.149.187")
    #expect(IPv4Address(0xFFFF_FFFF).description == "255.255.255.255")
    #expect(IPv4Address("0.0.0.0")?.value == 0)
}

@Test(arguments: ["", "256.1.1.1", "1.2.3", "1.2.3.4.5", "1..2.3", "a.b.c.d", "1234.1.1.1", "1.2.3.4 ", "-1.2.3.4", "+1.2.3.4"])
func ipv4TextRejectsMalformedInput(_ text: String) {
    #expect(IPv4Address(text) == nil)
}

@Test func ipv6TextParsesCompressedFullAndEmbeddedIPv4Forms() throws {
    let vector = try #require(IPv6Address("3ffe:2501:200:3::1"))
    #expect(vector.high == 0x3FFE_2501_0200_0003)
    #expect(vector.low == 0x0000_0000_0000_0001)
    #expect(
        vector.octets == [0x3F, 0xFE, 0x25, 0x01, 0x02, 0x00, 0x00, 0x03, 0, 0, 0, 0, 0, 0, 0, 0x01])
    #expect(IPv6Address("::") == .unspecified)
    #expect(IPv6Address("::1") == IPv6Address(high: 0, low: 1))
    #expect(IPv6Address("ff02::") == IPv6Address(high: 0xFF02_0000_0000_0000, low: 0))
    #expect(IPv6Address("::ffff:192.0.2.1") == IPv6Address(high: 0, low: 0x0000_FFFF_C000_0201))
    #expect(IPv6Address("1:2:3:4:5:6:7:8") == IPv6Address(high: 0x0001_0002_0003_0004, low: 0x0005_0006_0007_0008))
    #expect(IPv6Address("1:2:3:4:5:6:1.2.3.4") == IPv6Address(high: 0x0001_0002_0003_0004, low: 0x0005_0006_0102_0304))
    #expect(IPv6Address("FE80::0200:F8FF:FE21:67CF") == IPv6Address(high: 0xFE80_0000_0000_0000, low: 0x0200_F8FF_FE21_67CF))
}

@Test(arguments: [
    "", ":", ":::", "1::2::3", "12345::", "1:2:3:4:5:6:7:8:9", "1:2:3:4:5:6:7", "fe80::1%eth0", ":1::", "1.2.3.4::",
    "::1.2.3", "1:2:3:4:5:6:7:1.2.3.4", "g::1", "1:2:3:4::5:6:7:8", ":1:2:3:4:5:6:7", "1:2:3:4:5:6:7:",
])
func ipv6TextRejectsMalformedInput(_ text: String) {
    #expect(IPv6Address(text) == nil)
}

@Test(arguments: [
    ("2001:db8:0:0:1:0:0:1", "2001:db8::1:0:0:1"),
    ("2001:0db8:0000:0000:0000:0000:0000:0001", "2001:db8::1"),
    ("1:0:0:2:0:0:0:3", "1:0:0:2::3"),
    ("0:0:0:0:0:0:0:0", "::"),
    ("1:0:0:0:0:0:0:0", "1::"),
    ("1:0:2:0:3:0:4:0", "1:0:2:0:3:0:4:0"),
    ("3ffe:1900:4545:3:200:f8ff:fe21:67cf", "3ffe:1900:4545:3:200:f8ff:fe21:67cf"),
])
func ipv6FormatsAsRFC5952(_ input: String, _ expected: String) throws {
    let address = try #require(IPv6Address(input))
    #expect(address.description == expected)
    #expect(IPv6Address(expected) == address)
}

@Test func ipv6LoadAndStoreUseWireOrder() throws {
    let address = try #require(IPv6Address("3ffe:501:8::260:97ff:fe40:efab"))
    var bytes = [UInt8](repeating: 0, count: 17)
    bytes.withUnsafeMutableBytes { buffer in
        if let base = buffer.baseAddress { address.store(to: base + 1) }
    }
    #expect(Array(bytes[1...]) == address.octets)
    #expect(IPv6Address(octets: address.octets) == address)
    #expect(IPv6Address(octets: [UInt8](repeating: 0, count: 15)) == nil)
    let loaded = bytes.withUnsafeBytes { buffer in buffer.baseAddress.map { IPv6Address(loadingFrom: $0 + 1) } }
    #expect(loaded == address)
}
