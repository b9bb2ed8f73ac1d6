import FuzzKit
import PCIe
import Testing

@Suite struct FuzzProgramTests {
    @Test func decodingEncodedProgramsGivesThemBack() {
        let program = FuzzProgram(
            [
                .configRead(offset: 0x10, width: .dword), .configWrite(offset: 0x4, width: .word, value: 6),
                .mmioRead(bar: 0, offset: 0x1018, width: .qword),
                .mmioWrite(bar: 3, offset: 0x6018, width: .dword, value: 0xdead_beef_0000_0001),
                .doorbell(slot: 7, value: 31), .fillMemory(offset: 4096, length: 512, pattern: 3, seed: 42),
                .writeEntry(slot: 2, pointerMask: 1, bytes: Array(0..<64)), .reset(.bus), .setVirtualFunctions(count: 3),
                .advanceTime(microseconds: 1000), .mailbox(vf: 1, words: [1, 2, 3]), .reinitialize,
            ], targetName: "82599-vf")
        #expect(FuzzProgram(decoding: program.encoded) == program)
    }

    @Test func anyBytesDecodeAndTheOperationCountIsBounded() {
        var random = SplitMix64(seed: 7)
        for length in [0, 1, 2, 7, 100, 5000, 100_000] {
            let bytes = (0..<length).map { _ in UInt8(truncatingIfNeeded: random.next()) }
            let program = FuzzProgram(decoding: bytes)
            #expect(program.operations.count <= FuzzProgram.maximumOperations)
            #expect(length == 0 || !program.operations.isEmpty)
        }
    }

    @Test func theGeneratorIsDeterministic() {
        let surface = FuzzSurface(
            registers: [(0, 0x10), (0, 0x20)], doorbellCount: 4, entryCount: 8, entrySize: 16, virtualFunctions: true)
        var a = FuzzGenerator(seed: 99, surface: surface)
        var b = FuzzGenerator(seed: 99, surface: surface)
        var c = FuzzGenerator(seed: 100, surface: surface)
        let first = (0..<20).map { _ in a.program() }
        #expect(first == (0..<20).map { _ in b.program() })
        #expect(first != (0..<20).map { _ in c.program() })
        // Generated programs survive their own encoding.
        for p in first { #expect(FuzzProgram(decoding: p.encoded) == p) }
    }
}
