import Conformance
import NVMe
import PCIe
import Testing

@Suite("NVMe conformance suites on correct controllers")
struct NVMeSuiteTests {
    /// Checks per suite: registers, queues, PRP/SGL, illegal commands, LBA ranges, resets,
    /// interrupts, format/sanitize, EC2 identity, key handling.
    static let checksPerSuite: [NVMeConformance.Suite: Int] = [
        .registers: 8, .queues: 11, .dataPointers: 14, .illegalCommands: 5, .lbaRanges: 6, .resets: 6, .interrupts: 6,
        .formatSanitize: 7, .ec2Identity: 7, .keyHandling: 3,
    ]
    static let blockDeviceNameCheck = "vendor-specific Identify area holds the block device name"

    /// Expects `results` to hold every check of every suite once.
    func expectComplete(_ results: [CheckResult]) {
        for suite in NVMeConformance.Suite.allCases {
            let n = results.filter { $0.suite == suite.rawValue }.count
            #expect(n == Self.checksPerSuite[suite], "\(suite.rawValue): \(n) checks")
        }
    }

    @Test("an unencrypted EBS controller passes every check; key handling does not apply")
    func ebs() throws {
        let results = try NVMeRig.ebs().run(NVMeConformance.Suite.allCases)
        expectComplete(results)
        let keys = results.filter { $0.suite == NVMeConformance.Suite.keyHandling.rawValue }
        #expect(keys.allSatisfy { !$0.applicable })
        expectHealthy(results.filter { $0.suite != NVMeConformance.Suite.keyHandling.rawValue })
    }

    @Test("an encrypted EBS controller with 4 KiB blocks passes every check, all of them applicable")
    func encryptedEBS() throws {
        let results = try NVMeRig.ebs(encrypted: true, blockSize: 4096).run(NVMeConformance.Suite.allCases)
        expectComplete(results)
        expectHealthy(results)
    }

    @Test("instance storage (4 KiB and 512-byte blocks) passes every check; the EBS vendor area does not apply")
    func instanceStore() throws {
        for blockSize in [4096, 512] {
            let results = try NVMeRig.instanceStore(blockSize: blockSize).run(NVMeConformance.Suite.allCases)
            expectComplete(results)
            expectHealthy(results.filter { !$0.name.contains(Self.blockDeviceNameCheck) })
            #expect(results.named(Self.blockDeviceNameCheck).allSatisfy { !$0.applicable })
        }
    }

    @Test("a controller whose RDY follows CC.EN after 20 ms of virtual time passes (waits are bounded by CAP.TO)")
    func slowReady() throws {
        expectHealthy(try NVMeRig.ebs(readyDelay: .milliseconds(20)).run([.registers, .queues, .resets]))
    }

    @Test("the suites put the LBA format back and leave the controller disabled; the driver starts it again")
    func restoresTheController() throws {
        let rig = try NVMeRig.instanceStore(blockSize: 512)
        _ = try rig.run([.formatSanitize])
        #expect(rig.controller.blockSize == 512)
        #expect(!rig.controller.isReady)
        let access = rig.bus.access(rig.bdf)
        #expect(access.read32(NVMe.registerBAR, 0x14) & 1 == 0, "CC.EN left set")
    }

    @Test("the conformance runner runs the NVMe suites on every NVMe controller of a bus, then the PCI function suite")
    func runner() throws {
        let bus = PCIBus()
        let ebs = BDF(bus: 0, device: 0x1e, function: 0)
        let store = BDF(bus: 0, device: 0x1f, function: 0)
        try bus.attach(
            NVMe.makeController(
                at: ebs, services: bus.services,
                configuration: .init(
                    kind: .ebs(volumeID: "vol-0fedcba9876543210", blockDeviceName: "sdb"), capacityBytes: 4 << 20)))
        try bus.attach(
            NVMe.makeController(
                at: store, services: bus.services,
                configuration: .init(
                    kind: .instanceStore(serial: "AWS22222222222222222"), capacityBytes: 4 << 20, blockSize: 4096)))
        Firmware(bus: bus).enumerateAndAssign()
        let results = ConformanceRunner.run(bus: bus)
        for bdf in [ebs, store] {
            let nvme = results.filter { $0.function == bdf && $0.suite.hasPrefix("nvme-") }
            #expect(nvme.count == Self.checksPerSuite.values.reduce(0, +), "\(bdf): \(nvme.count) NVMe checks")
            #expect(results.contains { $0.function == bdf && $0.suite == "pci-function" })
        }
        #expect(results.filter { !$0.passed }.isEmpty, "\(results.failureText)")
    }
}
