import Conformance
import NVMe
import PCIe
import Testing

/// Each NVMe suite can fail: a controller sabotaged between the bus and the model (a register
/// that lies, a submission entry rewritten before the controller fetches it, a reset that does
/// not happen) or a rig that describes the controller wrongly makes the check covering it fail,
/// naming what is wrong.
@Suite("NVMe conformance suites catch a broken controller")
struct NVMeSabotageTests {
    /// The failure messages of the first result whose name contains `text`.
    func failures(_ results: [CheckResult], _ text: String) throws -> [String] {
        try #require(results.named(text).first).failures
    }

    @Test("VS 1.3, CAP.MQES 0 and a CSTS that hides CFS fail the register suite")
    func registers() throws {
        let rig = try NVMeRig.ebs()
        rig.interpose { i in
            i.onRead = { at, v in
                switch at {
                case 0x08: 0x0001_0300
                case 0x00: v & ~0xFFFF
                case 0x1C: v & ~0x2
                default: v
                }
            }
        }
        let results = try rig.run([.registers])
        #expect(try failures(results, "VS is 1.4").contains { $0.contains("older than 1.4.0") })
        #expect(try failures(results, "CAP: MQES").contains { $0.contains("CAP.MQES 0") })
        #expect(try failures(results, "invalid setup").contains { $0.contains("expected CFS=1") })
    }

    @Test("a QID 0 quietly turned into QID 1 and a CQ head doorbell that is dropped fail the queue suite")
    func queues() throws {
        let rig = try NVMeRig.ebs()
        rig.interpose { i in
            i.rewrite = { qid, e in
                if qid == 0, e.opcode == AdminOpcode.createIOCQ.rawValue, e.cdw10 & 0xFFFF == 0 { e[dword: 10] |= 1 }
            }
            i.onWrite = { at, v in at == 0x100C ? nil : v }
        }
        let results = try rig.run([.queues])
        #expect(try failures(results, "QID 0, beyond").contains { $0.contains("Create I/O CQ 0") })
        #expect(!(try #require(results.named("full completion queue").first).passed))
        #expect(!(try #require(results.named("phase tag").first).passed))
    }

    @Test("PRP1 offsets that are dropped fail the PRP suite")
    func dataPointers() throws {
        let rig = try NVMeRig.ebs()
        rig.interpose { i in
            i.rewrite = { qid, e in if qid > 0 { e[dword: 6] &= ~0xFFF } }
        }
        let results = try rig.run([.dataPointers])
        #expect(
            try failures(results, "PRP1 with a dword offset").contains {
                $0.contains("reads back different") || $0.contains("read to offset")
            })
        #expect(try failures(results, "PRP1 not dword aligned").contains { $0.contains("PRP1 offset 2") })
    }

    @Test("reserved NVM opcodes run as Flush fail the illegal-command suite")
    func illegalCommands() throws {
        let rig = try NVMeRig.ebs()
        let known: Set<UInt8> = [0x00, 0x01, 0x02, 0x04, 0x05, 0x08, 0x09, 0x0C]
        rig.interpose { i in
            i.rewrite = { qid, e in if qid > 0, !known.contains(e.opcode) { e[dword: 0] &= ~0xFF } }
        }
        let results = try rig.run([.illegalCommands])
        #expect(try failures(results, "NVM opcodes get 0/01").contains { $0.contains("NVM opcode 0x3") })
    }

    @Test("LBAs past NSZE quietly moved to LBA 0 fail the LBA-range suite")
    func lbaRanges() throws {
        let rig = try NVMeRig.ebs()
        let blocks = rig.controller.blockCount
        rig.interpose { i in
            i.rewrite = { qid, e in
                if qid > 0, e.opcode != NVMOpcode.datasetManagement.rawValue, e.startingLBA >= blocks {
                    e[dword: 10] = 0
                    e[dword: 11] = 0
                }
            }
        }
        let results = try rig.run([.lbaRanges])
        #expect(try failures(results, "past NSZE get 0/80").contains { $0.contains("expected 0/80") })
        #expect(!(try #require(results.named("Error Information log").first).passed))
    }

    @Test("a function level reset that never reaches the controller fails the reset suite")
    func resets() throws {
        let rig = try NVMeRig.ebs()
        rig.interpose { $0.passResets = false }
        let results = try rig.run([.resets])
        #expect(try failures(results, "FLR").contains { $0.contains("after FLR") })
    }

    @Test("every I/O CQ created on vector 0 fails the interrupt suite")
    func interrupts() throws {
        let rig = try NVMeRig.ebs()
        rig.interpose { i in
            i.rewrite = { qid, e in if qid == 0, e.opcode == AdminOpcode.createIOCQ.rawValue { e[dword: 11] &= 0xFFFF } }
        }
        let results = try rig.run([.interrupts])
        #expect(try failures(results, "its own MSI-X vector").contains { $0.contains("signalled vectors [0]") })
        #expect(!(try #require(results.named("reference driver runs I/O").first).passed))
    }

    @Test("a block erase that becomes Exit Failure Mode fails the format/sanitize suite")
    func formatSanitize() throws {
        let rig = try NVMeRig.instanceStore()
        rig.interpose { i in
            i.rewrite = { qid, e in if qid == 0, e.opcode == AdminOpcode.sanitize.rawValue, e.cdw10 & 7 == 2 { e[dword: 10] = 1 }
            }
        }
        let results = try rig.run([.formatSanitize])
        let erase = try failures(results, "Sanitize block erase")
        #expect(erase.contains { $0.contains("does not read as zeroes") }, "\(erase)")
        #expect(erase.contains { $0.contains("SCDW10") }, "\(erase)")
    }

    @Test("the wrong block device name and a statistics page read from another log fail the identity suite")
    func identity() throws {
        let rig = try NVMeRig.ebs()
        var lying = rig.rig
        lying.blockDeviceName = "/dev/sdz"
        rig.interpose { i in
            i.rewrite = { qid, e in
                if qid == 0, e.opcode == AdminOpcode.getLogPage.rawValue, e.cdw10 & 0xFF == 0xD0 {
                    e[dword: 10] = e.cdw10 & ~0xFF | 0x02
                }
            }
        }
        let results = try rig.run([.ec2Identity], rig: lying)
        #expect(try failures(results, "block device name").contains { $0.contains("expected \"/dev/sdz\"") })
        #expect(try failures(results, "D0h starts with").contains { $0.contains("magic") })
    }

    @Test("a plaintext store claimed to be encrypted, and a crypto erase that erases nothing, fail the key suite")
    func keyHandling() throws {
        let plain = try NVMeRig.ebs(blockSize: 4096)
        var claimed = plain.rig
        claimed.encrypted = true
        let leaked = try plain.run([.keyHandling], rig: claimed)
        #expect(try failures(leaked, "no plaintext").contains { $0.contains("plaintext units") })
        #expect(!(try #require(leaked.named("ciphertext depends on the LBA").first).passed))

        let store = try NVMeRig.instanceStore()
        store.interpose { i in
            i.rewrite = { qid, e in
                if qid == 0, e.opcode == AdminOpcode.sanitize.rawValue, e.cdw10 & 7 == 4 { e[dword: 10] = 1 }
                if qid == 0, e.opcode == AdminOpcode.formatNVM.rawValue { e[dword: 10] &= ~(7 << 9) }
            }
        }
        let results = try store.run([.keyHandling])
        let erase = try failures(results, "crypto erase")
        #expect(erase.contains { $0.contains("after Sanitize crypto erase") }, "\(erase)")
    }
}
