import Foundation
import Network
import Testing

/// One record read back from a pcap file.
private struct Record: Equatable {
    var seconds: UInt32
    var microseconds: UInt32
    var originalLength: UInt32
    var bytes: [UInt8]
}

/// The file header fields and records of a classic little-endian pcap file, parsed independently
/// of the writer.
private struct PcapFile {
    var magic: UInt32 = 0
    var versionMajor: UInt16 = 0
    var versionMinor: UInt16 = 0
    var snapLength: UInt32 = 0
    var linkType: UInt32 = 0
    var records: [Record] = []

    enum Failure: Error { case truncated(at: Int) }

    init(path: String) throws {
        let data = try [UInt8](Data(contentsOf: URL(fileURLWithPath: path)))
        func word(_ offset: Int) throws -> UInt32 {
            guard offset + 4 <= data.count else { throw Failure.truncated(at: offset) }
            return (0..<4).reduce(UInt32(0)) { $0 | UInt32(data[offset + $1]) << (8 * UInt32($1)) }
        }
        magic = try word(0)
        let version = try word(4)
        versionMajor = UInt16(version & 0xFFFF)
        versionMinor = UInt16(version >> 16)
        snapLength = try word(16)
        linkType = try word(20)
        var offset = 24
        while offset < data.count {
            let stored = Int(try word(offset + 8))
            guard offset + 16 + stored <= data.count else { throw Failure.truncated(at: offset) }
            records.append(
                Record(
                    seconds: try word(offset), microseconds: try word(offset + 4), originalLength: try word(offset + 12),
                    bytes: Array(data[(offset + 16)..<(offset + 16 + stored)])))
            offset += 16 + stored
        }
    }
}

private func temporaryPath() -> String {
    FileManager.default.temporaryDirectory.appendingPathComponent("network-tests-\(UUID().uuidString).pcap").path
}

private func sampleFrames() throws -> [[UInt8]] {
    [
        try #require(
            FrameBuilder.tcp(
                source: Hosts.peer, destination: Hosts.nic, sourceIP: "66.9.149.187", destinationIP: "161.142.100.80",
                sourcePort: 2794, destinationPort: 1766, payload: [1, 2, 3])),
        try #require(
            FrameBuilder.udp6(
                source: Hosts.nic, destination: Hosts.peer, vlan: 10, sourceIP: "2001:db8::1",
                destinationIP: "2001:db8::2", sourcePort: 53, destinationPort: 5353, frameLength: 100)),
        FrameBuilder.raw(source: Hosts.peer, destination: .broadcast, etherType: EtherType.arp, payload: [], frameLength: 60),
    ]
}

@Test func pcapFileParsesBackWithHeaderRecordsAndCounterTimestamps() throws {
    let path = temporaryPath()
    defer { try? FileManager.default.removeItem(atPath: path) }
    let frames = try sampleFrames()
    let writer = try PcapWriter(path: path)
    for frame in frames { frame.withUnsafeBytes { writer.receive($0) } }
    writer.close()
    #expect(writer.framesWritten == 3 && writer.writeErrors == 0)

    let raw = try [UInt8](Data(contentsOf: URL(fileURLWithPath: path)))
    #expect(Array(raw[0..<4]) == [0xD4, 0xC3, 0xB2, 0xA1], "magic 0xa1b2c3d4 written little endian")
    let file = try PcapFile(path: path)
    #expect(file.magic == 0xA1B2_C3D4)
    #expect(file.versionMajor == 2 && file.versionMinor == 4)
    #expect(file.snapLength == 65535 && file.linkType == 1)
    #expect(file.records.map(\.bytes) == frames)
    #expect(file.records.map(\.originalLength) == frames.map { UInt32($0.count) })
    #expect(file.records.map(\.seconds) == [0, 0, 0])
    #expect(file.records.map(\.microseconds) == [0, 1, 2])
    #expect(raw.count == 24 + frames.reduce(0) { $0 + 16 + $1.count })
}

@Test func pcapTimestampsComeFromTheClockAndLongFramesAreCutAtTheSnapLength() throws {
    let path = temporaryPath()
    defer { try? FileManager.default.removeItem(atPath: path) }
    var now: UInt64 = 1_700_000_000_250_000
    let writer = try PcapWriter(path: path) {
        defer { now += 1_500_000 }
        return now
    }
    let jumbo = FrameBuilder.pattern(length: 70_000, seed: 1)
    jumbo.withUnsafeBytes { writer.receive($0) }
    [UInt8](repeating: 7, count: 60).withUnsafeBytes { writer.receive($0) }
    writer.flush()
    writer.close()
    writer.close()
    [UInt8](repeating: 7, count: 60).withUnsafeBytes { writer.receive($0) }
    #expect(writer.framesWritten == 2 && writer.writeErrors == 1)

    let file = try PcapFile(path: path)
    #expect(file.records.count == 2)
    #expect(file.records[0].seconds == 1_700_000_000 && file.records[0].microseconds == 250_000)
    #expect(file.records[1].seconds == 1_700_000_001 && file.records[1].microseconds == 750_000)
    #expect(file.records[0].bytes == Array(jumbo[..<65535]) && file.records[0].originalLength == 70_000)
}

@Test func pcapWriterReportsAnUnopenablePath() {
    let path = "/nonexistent-directory-\(UUID().uuidString)/capture.pcap"
    #expect(throws: PcapError.cannotOpen(path: path, errno: ENOENT)) { try PcapWriter(path: path) }
}

/// tcpdump or tshark from PATH, if installed.
private let externalReader: String? = {
    let path = ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin:/usr/sbin:/bin"
    for tool in ["tcpdump", "tshark"] {
        for directory in path.split(separator: ":") + ["/usr/sbin", "/usr/bin"] {
            let candidate = "\(directory)/\(tool)"
            if FileManager.default.isExecutableFile(atPath: candidate) { return candidate }
        }
    }
    return nil
}()

@Test(.enabled(if: externalReader != nil, "needs tcpdump or tshark"))
func pcapFileIsReadableByTcpdumpOrTshark() throws {
    let reader = try #require(externalReader)
    let path = temporaryPath()
    defer { try? FileManager.default.removeItem(atPath: path) }
    let writer = try PcapWriter(path: path)
    for frame in try sampleFrames() { frame.withUnsafeBytes { writer.receive($0) } }
    writer.close()

    let process = Process()
    process.executableURL = URL(fileURLWithPath: reader)
    process.arguments = reader.hasSuffix("tcpdump") ? ["-nn", "-e", "-r", path] : ["-n", "-r", path]
    let output = Pipe()
    process.standardOutput = output
    process.standardError = Pipe()
    try process.run()
    let text = String(decoding: output.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
    process.waitUntilExit()
    #expect(process.terminationStatus == 0)
    #expect(text.split(separator: "\n").count == 3, "\(text)")
    #expect(text.contains("66.9.149.187"), "\(text)")
    #expect(text.contains("2001:db8::1"), "\(text)")
}
