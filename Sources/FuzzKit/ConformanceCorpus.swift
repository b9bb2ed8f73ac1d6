import Conformance
import ENA
import Host
import Intel82599
import NVMe
import PCIe

/// Seed inputs recorded from the conformance runs: the config and MMIO accesses the suites make
/// to each device of the default profile, as the fuzz operations that make the same accesses,
/// cut into inputs for the target that fuzzes that device. They start libFuzzer (and
/// `devbench fuzz --replay`) from register sequences the suites know to be meaningful: enable
/// handshakes, queue set-up, resets, feature programming.
///
/// The recorded values are the suites' own: an address a suite wrote points into the guest
/// memory of its run, not into a fuzz fixture's DMA arena, so a recorded input reaches the
/// register paths and their address checks rather than replaying the suite's traffic.
public enum ConformanceCorpus {
    /// The fuzz target for a function with `vendor`:`device` ids, if one fuzzes it.
    public static func target(vendor: UInt16, device: UInt16) -> String? {
        switch (vendor, device) {
        case (Intel82599.vendorID, Intel82599.deviceID): "82599-pf"
        case (Intel82599.vendorID, Intel82599.vfDeviceID): "82599-vf"
        case (ENA.vendorID, ENA.deviceID): "ena"
        case (NVMe.vendorID, NVMe.ebsDeviceID), (NVMe.vendorID, NVMe.instanceStoreDeviceID): "nvme"
        default: nil
        }
    }

    /// The fuzz operation that makes `record`'s access.
    public static func operation(_ record: GuestAccessRecord) -> FuzzOperation {
        switch record {
        case .configRead(_, let offset, let width): .configRead(offset: offset, width: width)
        case .configWrite(_, let offset, let width, let value): .configWrite(offset: offset, width: width, value: value)
        case .mmioRead(_, let bar, let offset, let width):
            .mmioRead(bar: UInt8(truncatingIfNeeded: bar.value), offset: UInt32(truncatingIfNeeded: offset), width: width)
        case .mmioWrite(_, let bar, let offset, let width, let value):
            .mmioWrite(
                bar: UInt8(truncatingIfNeeded: bar.value), offset: UInt32(truncatingIfNeeded: offset), width: width, value: value)
        }
    }

    /// The accesses of `log`, per fuzz target: each target's operations in the order the suites
    /// made them (the functions of one device kind together).
    public static func operations(of log: GuestAccessLog) -> [String: [FuzzOperation]] {
        var byTarget: [String: [FuzzOperation]] = [:]
        for record in log.records {
            guard let identity = log.identities[record.function],
                let name = target(vendor: identity.vendor, device: identity.device)
            else { continue }
            byTarget[name, default: []].append(operation(record))
        }
        return byTarget
    }

    /// `operations` cut into inputs of `length` operations for `target`, at most `limit` of them,
    /// taken evenly over the whole sequence (so every suite is represented, not only the first).
    public static func inputs(_ operations: [FuzzOperation], target: String, length: Int, limit: Int) -> [FuzzProgram] {
        let length = max(1, min(length, FuzzProgram.maximumOperations))
        let chunks = (operations.count + length - 1) / length
        guard chunks > 0, limit > 0 else { return [] }
        let taken = min(chunks, limit)
        return (0..<taken).map { i in
            let chunk = taken == chunks ? i : i * chunks / taken
            let start = chunk * length
            return FuzzProgram(Array(operations[start..<min(start + length, operations.count)]), targetName: target)
        }
    }

    /// Runs every conformance suite on a fresh host of `profile` with the bus's access log on,
    /// and returns the recorded inputs per fuzz target (see ``inputs(_:target:length:limit:)``).
    /// Deterministic: the suites run on the virtual clock.
    public static func record(profile: HostProfile, length: Int = 256, limit: Int = 16) throws -> [String: [FuzzProgram]] {
        let host = try VirtualHost(profile: profile)
        host.bringUp()
        // As `devbench conform` does: the suites drive the 82599 mailbox themselves.
        for nic in host.nics { nic.pf.stopMailboxService() }
        let log = GuestAccessLog()
        host.bus.accessLog = log
        _ = ConformanceRunner.run(bus: host.bus)
        host.bus.accessLog = nil
        var recorded: [String: [FuzzProgram]] = [:]
        for (name, sequence) in operations(of: log) {
            recorded[name] = inputs(sequence, target: name, length: length, limit: limit)
        }
        return recorded
    }
}
