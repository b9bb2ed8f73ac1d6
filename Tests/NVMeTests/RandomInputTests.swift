import NVMe
import PCIe
import TestSupport
import Testing

@Suite("Random guest input never crashes or wedges the controller")
struct RandomInputTests {
    /// A random SQE: a plausible or random opcode, random dwords, data pointers aimed at the arena
    /// (aligned or not), at nothing, or at the controller's own BAR.
    func randomEntry(_ rng: inout SplitMix64, admin: Bool, arena: DMABuffer, bar0: UInt64) -> SubmissionEntry {
        var e = SubmissionEntry()
        for i in 1..<16 { e[dword: i] = UInt32(truncatingIfNeeded: rng.next()) }
        let opcodes: [UInt8] = admin ? AdminOpcode.allCases.map(\.rawValue) : NVMOpcode.allCases.map(\.rawValue)
        let opcode =
            rng.next() % 8 == 0 ? UInt8(truncatingIfNeeded: rng.next()) : opcodes[Int(rng.next() % UInt64(opcodes.count))]
        e.setHeader(
            opcode: opcode, commandID: UInt16(truncatingIfNeeded: rng.next()),
            psdt: rng.next() % 4 == 0 ? UInt8(rng.next() % 4) : 0,
            fuse: rng.next() % 16 == 0 ? 1 : 0)
        let likely = { (rng: inout SplitMix64) in rng.next() % 5 != 0 }
        if likely(&rng) { e[dword: 1] = admin ? UInt32(rng.next() % 3) : 1 }
        if likely(&rng) {
            e[dword: 10] = admin ? UInt32(rng.next() % 4) << 16 | UInt32(rng.next() % 256) : UInt32(rng.next() % 2048)
        }
        if likely(&rng) { e[dword: 11] = admin ? UInt32(rng.next() % 4) | UInt32(rng.next() % 4) << 16 : 0 }
        if likely(&rng) { e[dword: 12] = UInt32(rng.next() % 16) }
        if likely(&rng) { e[dword: 13] = 0 }
        func pointer(_ rng: inout SplitMix64) -> UInt64 {
            let pages = UInt64(arena.count / 4096 - 1)
            switch rng.next() % 10 {
            case 0: return 0
            case 1: return bar0 + rng.next() % 0x4000
            case 2: return rng.next()
            case 3: return arena.deviceAddress(at: Int(rng.next() % UInt64(arena.count - 4096))).value
            case 4: return arena.deviceAddress(at: Int(rng.next() % pages) * 4096 + Int(rng.next() % 1024) * 4).value
            default: return arena.deviceAddress(at: Int(rng.next() % pages) * 4096).value
            }
        }
        e.setPRPs(pointer(&rng), pointer(&rng))
        return e
    }

    @Test("Thousands of random admin and I/O commands and register writes, then a clean reset and a good round trip")
    func randomCommands() throws {
        let t = try NVMeBench.ready()
        let arena = try t.access.allocateDMA(16 * 4096)
        for i in stride(from: 0, to: arena.count, by: 8) {
            arena.host.storeBytes(
                of: arena.deviceAddress(at: (i * 4096) % (arena.count - 4096)).value, toByteOffset: i, as: UInt64.self)
        }
        let bar0 = try #require(t.function.barAddress(0))
        let iova: UInt64 = 0x40_0000_0000
        try t.function.dma.domain.map(IOVA(iova), size: 0x4000, to: GuestPhysicalAddress(bar0), permissions: .readWrite)
        var rng = SplitMix64(seed: 0x4E56_4D65)
        for round in 0..<120 {
            if !t.ready || t.fatal {
                t.disable()
                t.enableMSIX()
                try t.enable()
                try t.createIOQueuePair(1)
            }
            guard let admin = t.admin, let io = t.ioQueues[1] else { continue }
            for _ in 0..<12 {
                admin.post(randomEntry(&rng, admin: true, arena: arena, bar0: iova))
                io.post(randomEntry(&rng, admin: false, arena: arena, bar0: iova))
            }
            t.write32(0x1000, UInt32(admin.sqTail))
            t.write32(0x1008, UInt32(io.sqTail))
            _ = admin.reap()
            _ = io.reap()
            t.write32(0x1004, UInt32(admin.cqHead))
            t.write32(0x100C, UInt32(io.cqHead))
            if round % 5 == 4 {
                let offset = Int(rng.next() % 0x40) & ~3
                if offset != R.CC.offset && offset != R.NSSR.offset { t.write32(offset, UInt32(truncatingIfNeeded: rng.next())) }
                t.write32(0x1000 + Int(rng.next() % 64) * 4, UInt32(truncatingIfNeeded: rng.next()))
            }
        }
        #expect(t.bus.services.guestErrors.total > 0)
        #expect(t.controller.counters.readCommands + t.controller.counters.writeCommands > 15, "some commands were valid")
        t.disable()
        t.enableMSIX()
        try t.enable()
        #expect(t.ready && !t.fatal)
        let format = try t.adminCommand(.formatNVM, nsid: 1, cdw10: 0)
        #expect(format.status == .success)
        try t.createIOQueuePair(1)
        #expect(try t.write(pattern(4096, seed: 40), at: 64) == .success)
        #expect(try t.read(at: 64, blocks: 8).1 == pattern(4096, seed: 40))
    }
}
