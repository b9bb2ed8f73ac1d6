import Conformance
import Intel82599
import Network
import PCIe
import Testing

/// Each suite can fail: a deliberately misconfigured rig or a register sabotaged between the bus
/// and the model makes the check that covers it fail, naming what is wrong.
@Suite("82599 conformance suites catch a broken port")
struct Intel82599SabotageTests {
    @Test("a read-only register that keeps what is written fails the PF read-only check, naming it")
    func writableReadOnlyRegister() throws {
        let nic = try NICBus()
        var latched: UInt64 = 0
        nic.interpose { i in
            i.onWrite = { at, v in
                if at == Intel82599PFRegisters.LINKS.offset { latched = v }
                return v
            }
            i.onRead = { at, v in at == Intel82599PFRegisters.LINKS.offset ? v | latched : v }
        }
        let results = try nic.run([.pfRegisters])
        let ro = try #require(results.named("read-only").first)
        #expect(ro.failures.contains { $0.hasPrefix("LINKS") }, "\(ro.failures)")
    }

    @Test("the wrong EEPROM address fails the reset-value check on RAL/RAH(0)")
    func wrongPermanentAddress() throws {
        let nic = try NICBus(totalVFs: 0)
        var port = nic.port
        port.permanentAddress = MACAddress(0x0200_0000_0001)
        let results = try nic.run([.pfRegisters], port: port)
        let reset = try #require(results.named("spec reset value").first)
        #expect(reset.failures.contains { $0.hasPrefix("RAL(0)") })
        #expect(reset.failures.contains { $0.hasPrefix("RAL(0) alias") })
    }

    @Test("a counter that does not clear on read and a W1C bit that does not clear fail their checks")
    func stickyCounterAndCause() throws {
        let nic = try NICBus()
        nic.interpose { i in
            i.onRead = { at, v in at == Intel82599PFRegisters.GPTC.offset ? v | 1 : v }
            i.onWrite = { at, v in at == Intel82599PFRegisters.PFMBICR.offset(0) ? nil : v }
        }
        let results = try nic.run([.pfRegisters])
        #expect(try #require(results.named("clear on read").first).failures.contains { $0.contains("GPTC") })
        #expect(!(try #require(results.named("PFMBICR").first).passed))
    }

    @Test("EEC.ARD set at once and a port whose link never comes up fail the reset suite")
    func resetAndLink() throws {
        let nic = try NICBus(totalVFs: 0)
        // The rig believes a link partner is there; the cable is not plugged in.
        let port = nic.port
        nic.device.cablePlugged = false
        nic.interpose { i in
            i.onRead = { at, v in at == Intel82599PFRegisters.EEC.offset ? v | Intel82599PFRegisters.EEC.autoReadDone.mask : v }
        }
        let results = try nic.run([.reset], port: port)
        #expect(try #require(results.named("EEC.ARD").first).failures.contains { $0.contains("instant of CTRL.RST") })
        #expect(try #require(results.named("link comes up").first).failures.contains { $0.contains("link not up") })
    }

    @Test("a ring length check that lets 100 bytes through and a dropped SRRCTL fail the queue suite")
    func queues() throws {
        let nic = try NICBus(totalVFs: 0)
        nic.interpose { i in
            i.onWrite = { at, v in
                if at == Intel82599PFRegisters.RDLEN.offset(1), v == 100 { return 128 }
                return at == Intel82599PFRegisters.SRRCTL.offset(0) ? nil : v
            }
        }
        let results = try nic.run([.queues])
        #expect(try #require(results.named("multiple of 128").first).failures.contains { $0.contains("length 100") })
        #expect(!(try #require(results.named("spans descriptors").first).passed))
    }

    @Test("a RETA that ignores writes fails the RSS queue selection")
    func rssIgnoresRETA() throws {
        let nic = try NICBus(totalVFs: 0)
        nic.interpose { i in
            i.onWrite = { at, v in (0x05C00..<0x05C80).contains(at) ? nil : v }
        }
        let results = try nic.run([.rss])
        #expect(results.allSatisfy { !$0.passed })
        #expect(results[0].failures.contains { $0.contains("landed on queue 0") })
    }

    @Test("a mailbox whose lock is not exclusive, and VT_LBEN and PFVFSPOOF that are ignored, fail their checks")
    func virtualization() throws {
        let nic = try NICBus()
        nic.interpose { i in
            i.onRead = { at, v in
                at == Intel82599PFRegisters.PFMAILBOX.offset(0) ? v | UInt64(0x08) : v
            }
            i.onWrite = { at, v in
                switch at {
                case Intel82599PFRegisters.PFDTXGSWC.offset, Intel82599PFRegisters.PFVFSPOOF.offset(0): nil
                default: v
                }
            }
        }
        let results = try nic.run([.mailbox, .switching, .antiSpoof])
        #expect(!(try #require(results.named("lock is exclusive").first).passed))
        let unicast = try #require(results.named("unicast from a VF").first)
        #expect(unicast.failures.contains { $0.contains("VF 2 got 0 copies") }, "\(unicast.failures)")
        #expect(results.filter { $0.suite == "intel82599-anti-spoof" }.allSatisfy { !$0.passed })
    }

    @Test("PF queue registers that do not show what the VF wrote fail the VF window check on every VF")
    func vfWindowMisrouted() throws {
        let nic = try NICBus()
        // PF reads of RDLEN (RX bank 0x01000, +0x08) come back with bit 0 flipped.
        nic.interpose { i in
            i.onRead = { at, v in (0x01000..<0x02000).contains(at) && at & 0x3F == 0x08 ? v ^ 0x1 : v }
        }
        let results = try nic.run([.vfRegisters])
        #expect(results.count == 15)
        let windows = results.named("windows onto the PF queues")
        #expect(windows.count == 3)
        for w in windows { #expect(w.failures.contains { $0.contains("RDLEN") }, "\(w.failures)") }
    }
}
