@_spi(KeyInjection) import NVMe
import PCIe
import Testing

@testable import FuzzKit

/// The NVMe store scan reads only the blocks on populated pages of the store; it must still find
/// a secret however it got there, and every block it skips must be zero.
@Suite struct StoreScanSkipTests {
    /// Puts `bytes` at byte `offset` of block `lba` straight into the store's memory, past the
    /// namespace (as a model bug writing through a stray pointer would).
    static func plant(_ bytes: [UInt8], in target: NVMeFuzzTarget, block lba: UInt64, offset: Int) {
        target.controller.withStoredBytes(ofBlock: lba) { stored in
            guard let base = stored.baseAddress else { return }
            UnsafeMutableRawPointer(mutating: base + offset).copyMemory(from: bytes, byteCount: bytes.count)
        }
    }

    @Test func aSecretPutStraightIntoTheStoreIsFoundInAnyBlockNeverWrittenThroughTheNamespace() throws {
        for (lba, offset) in [(0, 0), (7, 512 - 32), (300, 100), (511, 480)] as [(UInt64, Int)] {
            let target = try NVMeFuzzTarget()
            #expect(target.storeLeak() == nil)
            Self.plant(FuzzHarness.plaintextMarker, in: target, block: lba, offset: offset)
            #expect(target.storeLeak()?.detail == "block \(lba) holds the marker in clear")
            let other = try NVMeFuzzTarget()
            Self.plant(NVMeFuzzTarget.keyHalves.1, in: other, block: lba, offset: offset)
            #expect(other.storeLeak()?.detail == "block \(lba) holds half of the key")
        }
    }

    @Test func noNeedleIsInAZeroBlock() {
        let zero = [UInt8](repeating: 0, count: 4096)
        #expect(zero.withUnsafeBytes { NVMeFuzzTarget.secretScanner.presence(in: $0) } == 0)
    }

    @Test func everyBlockTheScanSkipsIsZeroAfterGeneratedInputs() throws {
        let probe = try NVMeFuzzTarget()
        var generator = FuzzGenerator(seed: 11, surface: probe.surface)
        var skippedSome = false
        for _ in 0..<40 {
            let target = try NVMeFuzzTarget()
            _ = FuzzRunner.run(target, generator.program(maximumLength: 48))
            let listed = target.controller.storedBlocksThatMayHoldData()
            #expect(zip(listed, listed.dropFirst()).allSatisfy { $0.upperBound < $1.lowerBound })
            for lba in 0..<NVMeFuzzTarget.blocks where !listed.contains(where: { $0.contains(lba) }) {
                skippedSome = true
                let zero = target.controller.withStoredBytes(ofBlock: lba) { $0.allSatisfy { $0 == 0 } }
                #expect(zero, "block \(lba) is skipped but not zero")
            }
        }
        #if os(Linux)
            #expect(skippedSome)
        #endif
    }
}
