import Foundation
import Network

/// The package root, found from this file's location (Tests/NetworkTests/Support.swift).
let repositoryRoot = URL(fileURLWithPath: #filePath)
    .deletingLastPathComponent()
    .deletingLastPathComponent()
    .deletingLastPathComponent()

/// Parses an array as a frame.
func parse(_ bytes: [UInt8]) -> FrameHeaders? {
    bytes.withUnsafeBytes { FrameHeaders.parse($0) }
}

/// Addresses shared by the tests.
enum Hosts {
    static let nic = MACAddress(0x02_00_00_00_00_01)
    static let peer = MACAddress(0x02_00_00_00_00_02)
    static let other = MACAddress(0x02_00_00_00_00_03)
}

/// An RFC 1071 checksum written independently of `InternetChecksum`, word by word.
func naiveChecksum(_ bytes: [UInt8]) -> UInt16 {
    var sum: UInt32 = 0
    var index = 0
    while index < bytes.count {
        let high = UInt32(bytes[index]) << 8
        let low = index + 1 < bytes.count ? UInt32(bytes[index + 1]) : 0
        sum += high | low
        index += 2
    }
    while sum > 0xFFFF { sum = (sum & 0xFFFF) + (sum >> 16) }
    return ~UInt16(sum)
}

/// Whether the TCP/UDP checksum of a built frame verifies (pseudo-header included); nil when the
/// frame has no IPv4/IPv6 TCP or UDP segment.
func transportChecksumVerifies(_ frame: [UInt8]) -> Bool? {
    guard let headers = parse(frame), headers.isTCP || headers.isUDP else { return nil }
    let l3 = headers.l3Offset
    let segment: [UInt8]
    var pseudo: [UInt8]
    if headers.ipVersion == 4 {
        let totalLength = Int(frame[l3 + 2]) << 8 | Int(frame[l3 + 3])
        segment = Array(frame[headers.l4Offset..<(l3 + totalLength)])
        pseudo = Array(frame[(l3 + 12)..<(l3 + 20)]) + [0, headers.l4Protocol]
        pseudo += [UInt8(segment.count >> 8), UInt8(segment.count & 0xFF)]
    } else {
        let payloadLength = Int(frame[l3 + 4]) << 8 | Int(frame[l3 + 5])
        segment = Array(frame[headers.l4Offset..<(headers.l4Offset + payloadLength)])
        pseudo = Array(frame[(l3 + 8)..<(l3 + 40)])
        pseudo += [0, 0, UInt8(segment.count >> 8), UInt8(segment.count & 0xFF), 0, 0, 0, headers.l4Protocol]
    }
    return naiveChecksum(pseudo + segment) == 0
}

/// Test vectors from Fixtures/rss/microsoft-verification.txt.
struct RSSVector: CustomStringConvertible {
    var family: String
    var source: String
    var sourcePort: UInt16
    var destination: String
    var destinationPort: UInt16
    var hashWithPorts: UInt32
    var hashAddressesOnly: UInt32

    var description: String { "\(family) \(source):\(sourcePort) -> \(destination):\(destinationPort)" }
}

/// The parsed fixture: its key and vectors.
struct RSSFixture {
    var key: [UInt8] = []
    var vectors: [RSSVector] = []

    static let path = repositoryRoot.appendingPathComponent("Fixtures/rss/microsoft-verification.txt")

    enum Failure: Error { case malformed(line: Int, text: String) }

    static func load() throws -> RSSFixture {
        let text = try String(contentsOf: path, encoding: .utf8)
        var fixture = RSSFixture()
        for (number, line) in text.split(separator: "\n", omittingEmptySubsequences: false).enumerated() {
            let fields = line.split(separator: " ").map(String.init)
            guard let first = fields.first, !first.hasPrefix("#") else { continue }
            if first == "key", fields.count == 2 {
                let hex = Array(fields[1])
                fixture.key = try stride(from: 0, to: hex.count, by: 2).map { index in
                    guard index + 1 < hex.count, let byte = UInt8(String(hex[index...(index + 1)]), radix: 16) else {
                        throw Failure.malformed(line: number + 1, text: String(line))
                    }
                    return byte
                }
                continue
            }
            guard fields.count == 7, first == "ipv4" || first == "ipv6",
                let sourcePort = UInt16(fields[2]), let destinationPort = UInt16(fields[4]),
                let withPorts = UInt32(fields[5].dropFirst(2), radix: 16),
                let addressesOnly = UInt32(fields[6].dropFirst(2), radix: 16)
            else { throw Failure.malformed(line: number + 1, text: String(line)) }
            fixture.vectors.append(
                RSSVector(
                    family: first, source: fields[1], sourcePort: sourcePort, destination: fields[3],
                    destinationPort: destinationPort, hashWithPorts: withPorts, hashAddressesOnly: addressesOnly))
        }
        return fixture
    }
}
