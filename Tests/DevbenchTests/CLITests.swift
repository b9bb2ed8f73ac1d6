import Foundation
import Testing

@Suite("devbench command line")
struct CLITests {
    @Test("no arguments: default profile runs, lists PF and VFs, passes")
    func defaultRun() throws {
        let r = try CLI.run([])
        #expect(r.status == 0, "stderr: \(r.stderr)")
        #expect(r.stdout.contains("profile default"))
        #expect(r.stdout.contains("00:00.0 Host bridge: Intel Corporation 440FX - 82441FX PMC [Natoma] (rev 02)"))
        for bdf in ["00:03.0", "00:13.0", "00:13.2"] { #expect(r.stdout.contains("\(bdf) DMA controller")) }
        #expect(
            r.stdout.contains("00:05.0 Ethernet controller: Intel Corporation 82599ES 10-Gigabit SFI/SFP+ Network Connection"))
        for bdf in ["00:15.0", "00:15.2", "00:15.4"] {
            #expect(r.stdout.contains("\(bdf) Ethernet controller: Intel Corporation 82599 Ethernet Controller Virtual Function"))
        }
        #expect(r.stdout.contains("82599 VF0->VF1    pass  32 frames"))
        #expect(r.stdout.contains("82599 VF1->VF0    pass"))
        #expect(r.stdout.contains("82599 VF2->peer   pass  32 frames out of the port"))
        #expect(r.stdout.contains("00:1e.0 Non-Volatile memory controller: Amazon.com, Inc. NVMe EBS Controller"))
        #expect(r.stdout.contains("00:1f.0 Non-Volatile memory controller: Amazon.com, Inc. NVMe SSD Controller"))
        #expect(r.stdout.contains("nvme EBS          pass  wrote 128 KiB on 2 queues (512 B blocks, PRP lists) as /dev/xvda"))
        #expect(r.stdout.contains("nvme instance     pass  wrote 128 KiB on 2 queues (4096 B blocks"))
        #expect(r.stdout.contains("nvme stop         pass  instance stop: key 1 destroyed, key 2 drawn"))
        #expect(r.stdout.contains("00:06.0 Ethernet controller: Amazon.com, Inc. Elastic Network Adapter (ENA)"))
        #expect(r.stdout.contains("ena->82599 VF0    pass  32 frames"))
        #expect(r.stdout.contains("82599 VF0->ena    pass  32 frames from 00:15.0 received byte-exact"))
        #expect(r.stdout.contains("ena allowance     pass  128 frames back to back against 100000 pps (burst 64)"))
        #expect(r.stdout.contains("pps_allowance_exceeded=64 via GET_STATS ENI"))
        #expect(r.stdout.contains("smoke 12/12 passed"))
        #expect(r.stdout.contains("Result: PASS"))
    }

    @Test("the run is deterministic: two runs print the same")
    func deterministic() throws {
        let a = try CLI.run(["--verbose"])
        let b = try CLI.run(["--verbose"])
        #expect(a.stdout == b.stdout)
        #expect(a.stdout.contains("Capabilities: [160] Single Root I/O Virtualization (SR-IOV)"))
    }

    @Test("unknown profile: non-zero exit naming the built-in profiles")
    func unknownProfile() throws {
        let r = try CLI.run(["--profile", "no-such-profile"])
        #expect(r.status != 0)
        #expect(r.stderr.contains("no profile 'no-such-profile'"))
        #expect(r.stderr.contains("sriov-64"))
    }

    @Test("a profile file describes a custom topology")
    func profileFile() throws {
        let dir = try CLI.temporaryDirectory("profile")
        let file = dir.appendingPathComponent("two-engines.yaml")
        try """
        name: two-engines
        description: two DMA engines, one with 4 VFs
        devices:
          - { kind: dma-engine, slot: "00:04.0" }
          - { kind: dma-engine, slot: "00:05.0", totalVFs: 4, vfs: 4 }
        """.write(to: file, atomically: true, encoding: .utf8)
        let r = try CLI.run(["--profile", file.path])
        #expect(r.status == 0, "\(r.stdout)\(r.stderr)")
        #expect(r.stdout.contains("smoke 6/6 passed"))
        #expect(r.stdout.contains("6 functions (2 physical, 4 virtual)"))
    }

    @Test("the example profile in Fixtures runs")
    func exampleProfile() throws {
        let file = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
            .appendingPathComponent("../../Fixtures/profiles/two-engines.yaml").standardized
        let r = try CLI.run(["--profile", file.path])
        #expect(r.status == 0, "\(r.stdout)\(r.stderr)")
        #expect(r.stdout.contains("7 functions (3 physical, 4 virtual)"))
    }

    @Test("an inconsistent profile is refused with the reason")
    func inconsistentProfile() throws {
        let dir = try CLI.temporaryDirectory("bad")
        let file = dir.appendingPathComponent("bad.yaml")
        try """
        name: bad
        description: more VFs than TotalVFs
        devices:
          - { kind: dma-engine, slot: "00:04.0", totalVFs: 2, vfs: 3 }
        """.write(to: file, atomically: true, encoding: .utf8)
        let r = try CLI.run(["--profile", file.path])
        #expect(r.status != 0)
        #expect(r.stderr.contains("vfs 3 outside 0...totalVFs (2)"))
    }

    @Test("profiles lists the built-ins and prints one as YAML")
    func profiles() throws {
        let list = try CLI.run(["profiles"])
        #expect(list.status == 0)
        #expect(list.stdout.contains("default"))
        #expect(list.stdout.contains("sriov-64"))
        let one = try CLI.run(["profiles", "sriov-64"])
        #expect(one.stdout.contains("vfs: 64"))
    }
}
