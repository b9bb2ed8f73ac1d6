import Conformance
import ENA
import Network
import PCIe
import Testing

/// Each ENA suite can fail: a register sabotaged between the bus and the model, a device
/// configured unlike EC2, or a rig that describes the device wrongly makes the check covering it
/// fail, naming what is wrong.
@Suite("ENA conformance suites catch a broken device")
struct ENASabotageTests {
    func failures(_ results: [CheckResult], _ text: String) throws -> [String] {
        try #require(results.named(text).first).failures
    }

    @Test("an old VERSION and a DEV_CTL that ignores DEV_RESET fail the register suite")
    func registers() throws {
        let rig = try ENARig()
        rig.interpose { i in
            i.onRead = { at, v in at == ENARegisters.VERSION.offset ? 0x0005 : v }
            i.onWrite = { at, v in at == ENARegisters.DEV_CTL.offset && v & 1 != 0 ? nil : v }
        }
        let results = try rig.run([.registers])
        #expect(try failures(results, "VERSION >= 0.10").contains { $0.contains("older than 0.10") })
        #expect(try failures(results, "DEV_RESET shows").contains { $0.contains("during the reset") })
    }

    @Test("a device that drops MMIO_RESP_HI writes (answers to the wrong address) fails the readless suite")
    func readless() throws {
        let rig = try ENARig()
        rig.interpose { i in
            i.onWrite = { at, v in at == ENARegisters.MMIO_RESP_HI.offset ? nil : v }
        }
        let results = try rig.run([.readless])
        #expect(try failures(results, "carries req_id").contains { $0.contains("req_id") })
        #expect(!(try #require(results.named("equal direct reads").first).passed))
    }

    @Test("keep-alives every 2 s instead of every second fail the event suite")
    func slowKeepAlive() throws {
        var configuration = ENAConfiguration()
        configuration.keepAliveInterval = .seconds(2)
        let results = try ENARig(configuration).run([.events])
        #expect(try failures(results, "KEEP_ALIVE: one event per second").contains { $0.contains("keep-alives in 5 intervals") })
    }

    @Test("RSS_IND_ENTRY_UPDATE writes that never arrive fail the RSS suite")
    func indirectionRegister() throws {
        let rig = try ENARig()
        rig.interpose { i in
            i.onWrite = { at, v in at == ENARegisters.RSS_IND_ENTRY_UPDATE.offset ? nil : v }
        }
        let results = try rig.run([.rss])
        #expect(try failures(results, "RSS_IND_ENTRY_UPDATE").contains { $0.contains("frames landed") })
    }

    @Test("a device without allowances fails the allowance checks of a rig that promises EC2's")
    func missingAllowances() throws {
        let rig = try ENARig(ENAConfiguration(allowances: .unlimited))
        var promised = rig.described
        promised.allowances = .default
        let results = try rig.run([.allowances], rig: promised)
        #expect(try failures(results, "burst passes at once").contains { $0.contains("left the port at once") })
        #expect(!(try #require(results.named("shaped frames leave later").first).passed))
    }

    @Test("an SQ doorbell past the depth that is served fails the IO suite")
    func badDoorbell() throws {
        let rig = try ENARig()
        rig.interpose { i in
            // Rewrites any doorbell of the raw queue (index 2) to a tail one entry ahead of it.
            i.onWrite = { at, v in at == ENARegisters.SQ_DB.offset(2) && v > 16 ? 1 : v }
        }
        let results = try rig.run([.io])
        #expect(try failures(results, "doorbell beyond the depth").contains { $0.contains("past the head was served") })
    }
}
