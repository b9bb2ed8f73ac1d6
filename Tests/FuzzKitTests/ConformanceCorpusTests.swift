import Foundation
import FuzzKit
import Host
import PCIe
import Testing

@Suite("Seed inputs recorded from the conformance runs")
struct ConformanceCorpusTests {
    @Test("the suites' accesses become inputs for each device's target, the same on every run")
    func recordsTheSuites() throws {
        let recorded = try ConformanceCorpus.record(profile: HostProfile.named("default"))
        #expect(Set(recorded.keys) == ["82599-pf", "82599-vf", "ena", "nvme"])
        for (name, inputs) in recorded {
            #expect(!inputs.isEmpty, "\(name)")
            #expect(inputs.allSatisfy { $0.targetName == name && !$0.operations.isEmpty && $0.operations.count <= 256 })
        }
        let operations = recorded.mapValues { $0.flatMap(\.operations) }
        // NVMe: CC (BAR0+0x14) written with EN set. 82599: CTRL (BAR0+0) written with RST.
        // ENA: DEV_CTL (BAR0+0x54) written. VF: a mailbox (VFMAILBOX, BAR0+0x2FC) write.
        #expect(
            operations["nvme"]?.contains { op in
                if case .mmioWrite(0, 0x14, .dword, let v) = op { return v & 1 == 1 } else { return false }
            } == true)
        #expect(
            operations["82599-pf"]?.contains { op in
                if case .mmioWrite(0, 0, .dword, let v) = op { return v & (1 << 26) != 0 } else { return false }
            } == true)
        #expect(
            operations["ena"]?.contains { op in
                if case .mmioWrite(0, 0x54, _, _) = op { return true } else { return false }
            } == true)
        #expect(
            operations["82599-vf"]?.contains { op in
                if case .mmioWrite(0, 0x2FC, _, _) = op { return true } else { return false }
            } == true)
        #expect(try ConformanceCorpus.record(profile: HostProfile.named("default")) == recorded)
    }

    @Test("a recorded input replays on its target with no invariant broken")
    func recordedInputsReplay() throws {
        let recorded = try ConformanceCorpus.record(profile: HostProfile.named("default"), length: 128, limit: 2)
        for (name, inputs) in recorded {
            let target = try #require(FuzzTargets.named(name))
            for input in inputs {
                let outcome = FuzzRunner.run(target, FuzzProgram(decoding: input.encoded))
                #expect(outcome.violation == nil, "\(name): \(String(describing: outcome.violation))")
                #expect(outcome.operations == input.operations.count)
            }
        }
    }

    @Test("the committed seeds are what a recording gives now (re-record with devbench fuzz --record-conformance)")
    func committedSeedsAreCurrent() throws {
        let root = repositoryRoot.appendingPathComponent("Fixtures/fuzz/corpus")
        let recorded = try ConformanceCorpus.record(profile: HostProfile.named("default"))
        for (name, inputs) in recorded {
            let folder = root.appendingPathComponent(name)
            let files = try FileManager.default.contentsOfDirectory(atPath: folder.path).filter { $0.hasPrefix("conform-") }
                .sorted()
            #expect(files.count == inputs.count, "\(name)")
            for (file, input) in zip(files, inputs) {
                let data = try Data(contentsOf: folder.appendingPathComponent(file))
                #expect([UInt8](data) == input.encoded, "\(name)/\(file) differs from a fresh recording")
            }
        }
    }

    @Test("inputs are cut evenly over the whole sequence, at most the limit")
    func cutting() {
        let ops = (0..<10).map { FuzzOperation.advanceTime(microseconds: UInt32($0)) }
        let all = ConformanceCorpus.inputs(ops, target: "t", length: 3, limit: 8)
        #expect(all.map(\.operations.count) == [3, 3, 3, 1])
        #expect(all.flatMap(\.operations) == ops)
        let two = ConformanceCorpus.inputs(ops, target: "t", length: 3, limit: 2)
        #expect(two.map { $0.operations.first } == [ops[0], ops[6]])
        #expect(ConformanceCorpus.inputs([], target: "t", length: 3, limit: 2).isEmpty)
    }
}
