import Network
import Testing

/// A sink that appends its name to a shared log for every frame.
private final class LoggingSink: FrameSink {
    let name: String
    let log: Log
    init(_ name: String, log: Log) {
        self.name = name
        self.log = log
    }
    func receive(_ frame: UnsafeRawBufferPointer) { log.entries.append("\(name):\(frame.count)") }
}

private final class Log {
    var entries: [String] = []
}

@Test func portTransmissionsReachEveryFarEndInAttachOrderAndAreCounted() {
    let wire = Wire()
    let log = Log()
    let port = LoggingSink("port", log: log)
    wire.connectPort(port)
    wire.addFarEnd(LoggingSink("a", log: log))
    wire.addFarEnd(LoggingSink("b", log: log))
    wire.addFarEnd(LoggingSink("c", log: log))
    let frame = [UInt8](repeating: 0, count: 60)
    frame.withUnsafeBytes { wire.transmitFromPort($0) }
    Array(frame[..<42]).withUnsafeBytes { wire.transmitFromPort($0) }
    #expect(log.entries == ["a:60", "b:60", "c:60", "a:42", "b:42", "c:42"])
    #expect(wire.framesFromPort == 2 && wire.bytesFromPort == 102)
    #expect(wire.framesToPort == 0 && wire.bytesToPort == 0)
    #expect(wire.farEndCount == 3)
}

@Test func farSideTransmissionsReachOnlyThePort() {
    let wire = Wire()
    let log = Log()
    wire.addFarEnd(LoggingSink("peer", log: log))
    let lost = [UInt8](repeating: 1, count: 64)
    lost.withUnsafeBytes { wire.transmitToPort($0) }
    #expect(log.entries.isEmpty && !wire.isPortConnected)
    wire.connectPort(LoggingSink("port", log: log))
    [UInt8](repeating: 1, count: 70).withUnsafeBytes { wire.transmitToPort($0) }
    #expect(log.entries == ["port:70"])
    #expect(wire.framesToPort == 2 && wire.bytesToPort == 134, "frames with no port attached are counted too")
    #expect(wire.framesFromPort == 0)
    wire.resetCounters()
    #expect(wire.framesToPort == 0 && wire.bytesToPort == 0)
}

@Test func removedFarEndsStopReceiving() {
    let wire = Wire()
    let first = FrameRecorder(capacity: 4)
    let second = FrameRecorder(capacity: 4)
    wire.addFarEnd(first)
    wire.addFarEnd(second)
    wire.removeFarEnd(first)
    [UInt8](repeating: 0, count: 60).withUnsafeBytes { wire.transmitFromPort($0) }
    #expect(first.count == 0 && second.count == 1)
}

@Test func recorderKeepsTheFirstFramesAndCountsAll() {
    let recorder = FrameRecorder(capacity: 2)
    for length in [60, 61, 62] {
        (0..<length).map { UInt8($0 & 0xFF) }.withUnsafeBytes { recorder.receive($0) }
    }
    #expect(recorder.count == 3 && recorder.byteCount == 183)
    #expect(recorder.frames.map(\.count) == [60, 61])
    #expect(recorder.frames[1] == (0..<61).map { UInt8($0) })
    recorder.removeAll()
    #expect(recorder.count == 0 && recorder.frames.isEmpty && recorder.byteCount == 0)
}

/// Frames of the given lengths as one burst.
private func withBurst(_ lengths: [Int], _ body: (UnsafeBufferPointer<UnsafeRawBufferPointer>) -> Void) {
    let storage = UnsafeMutableRawPointer.allocate(byteCount: max(1, lengths.reduce(0, +)), alignment: 8)
    defer { storage.deallocate() }
    var offset = 0
    let frames = lengths.map { n -> UnsafeRawBufferPointer in
        defer { offset += n }
        return UnsafeRawBufferPointer(start: storage + offset, count: n)
    }
    frames.withUnsafeBufferPointer(body)
}

@Test func burstsReachEachFarEndInOrderOneSinkAfterTheOtherAndAreCounted() {
    let wire = Wire()
    let log = Log()
    wire.connectPort(LoggingSink("port", log: log))
    wire.addFarEnd(LoggingSink("a", log: log))
    wire.addFarEnd(LoggingSink("b", log: log))
    withBurst([60, 42, 70]) { wire.transmitFromPort(batch: $0) }
    #expect(log.entries == ["a:60", "a:42", "a:70", "b:60", "b:42", "b:70"])
    #expect(wire.framesFromPort == 3 && wire.bytesFromPort == 172)
    withBurst([]) { wire.transmitFromPort(batch: $0) }
    #expect(wire.framesFromPort == 3)
    log.entries = []
    withBurst([64, 65]) { wire.transmitToPort(batch: $0) }
    #expect(log.entries == ["port:64", "port:65"])
    #expect(wire.framesToPort == 2 && wire.bytesToPort == 129)
}

@Test func aLoopbackSendsABurstBackAsOne() {
    let wire = Wire()
    let log = Log()
    wire.connectPort(LoggingSink("port", log: log))
    let loopback = WireLoopback()
    loopback.attach(to: wire)
    withBurst([60, 61]) { wire.transmitFromPort(batch: $0) }
    #expect(log.entries == ["port:60", "port:61"])
    #expect(loopback.framesLooped == 2 && wire.framesToPort == 2 && wire.bytesToPort == 121)
}
