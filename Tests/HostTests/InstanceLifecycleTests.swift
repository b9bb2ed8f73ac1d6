import Drivers
import Foundation
import Host
import PCIe
import Testing

/// "Instance stop/start" as EC2 does it: the host (and every controller) goes away and a new one
/// is built from the same profile. A file-backed EBS volume keeps its blocks; instance storage
/// comes back empty, because its key died with the controller.
@Suite("instance stop and start")
struct InstanceLifecycleTests {
    static func profile(volume: String) throws -> HostProfile {
        try HostProfile.parse(
            yaml: """
                name: stop-start
                description: an EBS volume on a file and an instance-store device
                devices:
                  - { kind: nvme-ebs, slot: "00:04.0", capacityMiB: 4, queues: 1, volumeID: vol-0aa, backingFile: \(volume) }
                  - { kind: nvme-instance-store, slot: "00:1f.0", capacityMiB: 4, blockSize: 4096, queues: 1 }
                """)
    }

    /// Brings a host up and returns it with its two bound controllers (EBS first).
    static func start(_ profile: HostProfile) throws -> (VirtualHost, BoundNVMe, BoundNVMe) {
        let host = try VirtualHost(profile: profile)
        host.bringUp()
        #expect(host.bringUpProblems.isEmpty, "\(host.bringUpProblems)")
        let ebs = try #require(host.storage.first { $0.kind == .nvmeEBS })
        let instance = try #require(host.storage.first { $0.kind == .nvmeInstanceStore })
        return (host, ebs, instance)
    }

    @Test func ebsOnAFileSurvivesStopStartAndInstanceStorageDoesNot() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("devbench-stop-start-\(getpid())")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        let profile = try Self.profile(volume: dir.appendingPathComponent("vol-0aa.img").path)
        let pattern = (0..<8192).map { UInt8(truncatingIfNeeded: $0 &* 37 &+ 11) }

        do {
            let (_, ebs, instance) = try Self.start(profile)
            for bound in [ebs, instance] {
                let buffer = try bound.driver.access.allocateDMA(pattern.count)
                buffer.host.copyBytes(from: pattern)
                try bound.driver.write(lba: 8, blocks: pattern.count / bound.driver.namespaces[0].blockSize, from: buffer)
                try bound.driver.flush()
            }
        }  // stop: the host and its controllers are gone

        let (_, ebs, instance) = try Self.start(profile)
        for bound in [ebs, instance] {
            let buffer = try bound.driver.access.allocateDMA(pattern.count)
            try bound.driver.read(lba: 8, blocks: pattern.count / bound.driver.namespaces[0].blockSize, into: buffer)
            if bound.kind == .nvmeEBS {
                #expect(Array(buffer.host) == pattern, "the EBS volume lost its data across stop/start")
            } else {
                #expect(buffer.host.allSatisfy { $0 == 0 }, "instance storage kept data across stop/start")
            }
        }
    }
}
