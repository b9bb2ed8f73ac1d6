import Foundation
import Host
import Inspector
import Testing

@testable import pci_list

/// What pci-list adds beside lspci: register decoding from the DeviceSpecs tables, JSON, the
/// listing time of a 63-VF host, and the sysfs export with driver links.
@Suite struct FeatureTests {
    @Test("--regs decodes BAR0 by register and field and marks values that differ from reset")
    func registers() throws {
        let result = try Oracle.run(Oracle.pciList, ["--regs", "-s", "1e.0"])
        #expect(result.status == 0)
        let text = result.stdout
        #expect(text.hasPrefix("00:1e.0 1d0f:8061 BAR0 registers (NVMeRegisters, "))
        // The driver enabled the controller: CC.EN and CSTS.RDY differ from their reset value.
        #expect(text.contains("  00014 CC                00460001 * reset 00000000\n"))
        #expect(text.contains("        EN=1 CSS=0x0 MPS=0x0 AMS=0x0 SHN=0x0(none) IOSQES=0x6 IOCQES=0x4\n"))
        #expect(text.contains("  0001c CSTS              00000001 * reset 00000000\n"))
        #expect(text.contains("  00008 VS                00010400\n"))
        let pf = try Oracle.run(Oracle.pciList, ["--regs", "-s", "05.0"]).stdout
        #expect(pf.contains("00:05.0 8086:10fb BAR0 registers (Intel82599PFRegisters"))
        #expect(pf.contains("LinkUp=1 NumVFs=0x3 IOVActive=1"))
        let host = try #require(try Oracle.run(Oracle.pciList, ["--regs", "-s", "00.0"]).stdout.split(separator: "\n").first)
        #expect(host == "00:00.0 8086:1237: no register spec for this device")
    }

    @Test("--regs needs a live bus")
    func registersNeedProfile() throws {
        let result = try Oracle.run(Oracle.pciList, ["--regs", "--sysfs", "/sys/bus/pci"])
        #expect(result.status == ExitStatus.usage)
    }

    struct Entry: Decodable {
        struct Capability: Decodable {
            let offset: String
            let version: Int?
            let title: String
        }
        let slot: String
        let vendor: String
        let device: String
        let name: String
        let driver: String?
        let virtualFunction: Bool
        let physicalFunction: String?
        let capabilities: [Capability]
    }

    @Test("--json lists ids, names, drivers, VF links and capabilities for scripts")
    func json() throws {
        let result = try Oracle.run(Oracle.pciList, ["--json"])
        #expect(result.status == 0)
        let entries = try JSONDecoder().decode([Entry].self, from: Data(result.stdout.utf8))
        #expect(entries.count == 11)
        let pf = try #require(entries.first { $0.slot == "0000:00:05.0" })
        #expect(pf.vendor == "8086" && pf.device == "10fb" && pf.driver == "ixgbe")
        #expect(pf.name == "Intel Corporation 82599ES 10-Gigabit SFI/SFP+ Network Connection")
        #expect(pf.capabilities.contains { $0.offset == "160" && $0.version == 1 && $0.title.hasPrefix("Single Root") })
        let vf = try #require(entries.first { $0.slot == "0000:00:15.0" })
        #expect(vf.virtualFunction && vf.physicalFunction == "0000:00:05.0" && vf.driver == "ixgbevf")
    }

    @Test("listing a 63-VF 82599 host at -vv: every VF bound, formatting well under a second")
    func sixtyFourVFHost() throws {
        let started = ContinuousClock.now
        let loaded = try BusSource.profile(ListingProfiles.sriov82599.name).load()
        let loadedAt = ContinuousClock.now
        let text = try Oracle.oursText(["-vv"], loaded.input.functions)
        let formatted = ContinuousClock.now - loadedAt
        #expect(loaded.input.functions.count == 65)
        #expect(text.components(separatedBy: "\tKernel driver in use: ixgbevf\n").count - 1 == 63)
        #expect(formatted < .seconds(1), "formatting took \(formatted)")
        // Bring-up of 63 VF drivers dominates; a debug build stays within a few seconds.
        #expect(loadedAt - started < .seconds(20))
    }

    @Test("--time reports load and format times on stderr")
    func timeFlag() throws {
        let result = try Oracle.run(Oracle.pciList, ["--time", "-s", "00.0"])
        #expect(result.status == 0)
        #expect(result.stderr.hasPrefix("pci-list: 11 functions; load "))
        #expect(result.stderr.contains(" ms, format ") && result.stderr.hasSuffix(" ms\n"))
    }

    @Test("--export-sysfs writes driver links that resolve, so real lspci -k names the driver")
    func exportWithDrivers() throws {
        let dir = try Oracle.temporaryDirectory("export")
        defer { try? FileManager.default.removeItem(at: dir) }
        let result = try Oracle.run(Oracle.pciList, ["--export-sysfs", dir.path, "-s", "00.0"])
        #expect(result.status == 0)
        let link = dir.appendingPathComponent("devices/0000:00:1e.0/driver")
        let target = try FileManager.default.destinationOfSymbolicLink(atPath: link.path)
        #expect(target == "../../drivers/nvme")
        #expect(FileManager.default.fileExists(atPath: link.resolvingSymlinksInPath().path))
        let input = SysfsImporter(root: dir).read()
        #expect(input.problems.isEmpty)
        #expect(input.functions.first { $0.snapshot.bdf.description == "00:15.2" }?.kernelDriver == "ixgbevf")
    }
}
