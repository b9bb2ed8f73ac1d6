import NVMe
import PCIe
import Testing

@testable import Drivers

/// A controller that reads all ones (removed, or its BAR no longer decoded) fails a wait for it
/// at once, as Linux's `nvme_wait_ready` does, instead of polling CSTS for CAP.TO.
@Suite("NVMe driver: a controller that reads all ones")
struct NVMeDriverRemovalTests {
    /// Turns off the function's memory decode: every BAR read returns all ones.
    static func stopDecoding(_ bench: NVMeBench) {
        let command = bench.access.configRead(ConfigOffset(4), width: .word)
        bench.access.configWrite(ConfigOffset(4), width: .word, value: command & ~2)
    }

    @Test("reset and shutdown throw deviceRemoved without waiting out CAP.TO")
    func waitsFailAtOnce() throws {
        for action in ["reset", "shutdown"] {
            let bench = try NVMeBench()
            Self.stopDecoding(bench)
            #expect(bench.driver.controllerStatus == 0xFFFF_FFFF)
            let before = bench.access.clock.now
            #expect(throws: NVMeDriverError.deviceRemoved, "\(action)") {
                if action == "reset" { try bench.driver.reset() } else { try bench.driver.shutdown() }
            }
            #expect(bench.access.clock.now == before, "\(action) waited")
        }
    }

    @Test("once the BAR decodes again, a reset brings the controller back")
    func recoversWhenDecodingAgain() throws {
        let bench = try NVMeBench()
        let command = bench.access.configRead(ConfigOffset(4), width: .word)
        Self.stopDecoding(bench)
        #expect(throws: NVMeDriverError.deviceRemoved) { try bench.driver.reset() }
        bench.access.configWrite(ConfigOffset(4), width: .word, value: command)
        try bench.driver.reset()
        let buffer = try bench.buffer(512)
        try bench.driver.read(lba: 0, blocks: 1, into: buffer)
    }
}
