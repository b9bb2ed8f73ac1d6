/// Microsoft's RSS verification suite ("Verifying the RSS Hash Calculation"; the same table is
/// the 82599 datasheet's §7.1.2.8.3 and Fixtures/rss/microsoft-verification.txt), embedded so the
/// devbench binary needs no fixture path.
enum Intel82599RSSVectors {
    /// One flow: addresses, ports and the two expected hashes.
    struct Vector {
        var ipv6: Bool
        var source: String
        var sourcePort: UInt16
        var destination: String
        var destinationPort: UInt16
        /// TcpIPv4 / TcpIPv6: addresses and ports.
        var withPorts: UInt32
        /// IPv4 / IPv6: addresses only.
        var addressesOnly: UInt32
    }

    /// The verification key.
    static let key: [UInt8] = [
        0x6d, 0x5a, 0x56, 0xda, 0x25, 0x5b, 0x0e, 0xc2, 0x41, 0x67, 0x25, 0x3d, 0x43, 0xa3, 0x8f, 0xb0,
        0xd0, 0xca, 0x2b, 0xcb, 0xae, 0x7b, 0x30, 0xb4, 0x77, 0xcb, 0x2d, 0xa3, 0x80, 0x30, 0xf2, 0x0c,
        0x6a, 0x42, 0xb7, 0x3b, 0xbe, 0xac, 0x01, 0xfa,
    ]

    /// The IPv4 and IPv6 tables.
    static let vectors: [Vector] = [
        Vector(
            ipv6: false, source: "66.9.149.187", sourcePort: 2794, destination: "161.142.100.80", destinationPort: 1766,
            withPorts: 0x51cc_c178, addressesOnly: 0x323e_8fc2),
        Vector(
            ipv6: false, source: "199.92.111.2", sourcePort: 14230, destination: "65.69.140.83", destinationPort: 4739,
            withPorts: 0xc626_b0ea, addressesOnly: 0xd718_262a),
        Vector(
            ipv6: false, source: "24.19.198.95", sourcePort: 12898, destination: "12.22.207.184", destinationPort: 38024,
            withPorts: 0x5c2b_394a, addressesOnly: 0xd2d0_a5de),
        Vector(
            ipv6: false, source: "38.27.205.30", sourcePort: 48228, destination: "209.142.163.6", destinationPort: 2217,
            withPorts: 0xafc7_327f, addressesOnly: 0x8298_9176),
        Vector(
            ipv6: false, source: "153.39.163.191", sourcePort: 44251, destination: "202.188.127.2", destinationPort: 1303,
            withPorts: 0x10e8_28a2, addressesOnly: 0x5d18_09c5),
        Vector(
            ipv6: true, source: "3ffe:2501:200:1fff::7", sourcePort: 2794, destination: "3ffe:2501:200:3::1",
            destinationPort: 1766, withPorts: 0x4020_7d3d, addressesOnly: 0x2cc1_8cd5),
        Vector(
            ipv6: true, source: "3ffe:501:8::260:97ff:fe40:efab", sourcePort: 14230, destination: "ff02::1",
            destinationPort: 4739, withPorts: 0xdde5_1bbf, addressesOnly: 0x0f0c_461c),
        Vector(
            ipv6: true, source: "3ffe:1900:4545:3:200:f8ff:fe21:67cf", sourcePort: 44251,
            destination: "fe80::200:f8ff:fe21:67cf", destinationPort: 38024, withPorts: 0x02d1_feef,
            addressesOnly: 0x4b61_e985),
    ]
}
