import Drivers
import NVMe
import PCIe

extension VirtualHost {
    /// NVMe smoke: on every I/O queue, write 64 KiB of a pattern seeded by the controller's
    /// address (a PRP list transfer), read it back and compare byte for byte, then flush. For
    /// instance storage, the host then stops the instance: the controller destroys its key
    /// (cryptographic erase), and the same reads must return zeroes, never the old data.
    func smokeNVMe(_ nvme: BoundNVMe, bytesPerQueue: Int = 64 * 1024) -> [SmokeResult] {
        let subject = nvme.kind == .nvmeEBS ? "nvme EBS" : "nvme instance"
        func fail(_ why: String) -> [SmokeResult] {
            [SmokeResult(function: nvme.bdf, subject: subject, passed: false, detail: why)]
        }
        let driver = nvme.driver
        guard let namespace = driver.namespaces.first, namespace.blockSize > 0 else { return fail("no namespace") }
        let blocks = bytesPerQueue / namespace.blockSize
        let queues = driver.ioQueueCount
        guard queues > 0, blocks > 0, UInt64(blocks * queues) <= namespace.size else { return fail("namespace too small") }
        let written: DMABuffer
        let readBack: DMABuffer
        do {
            written = try driver.access.allocateDMA(bytesPerQueue * queues)
            readBack = try driver.access.allocateDMA(bytesPerQueue * queues)
        } catch {
            return fail("allocation: \(error)")
        }
        Self.fillPattern(written.host, seed: UInt64(nvme.bdf.routingID) | 0x6e76_6d65_0000_0000)
        // Queue q writes its part at an LBA spread over the namespace, the last one at its end.
        let stride = namespace.size / UInt64(queues)
        func lba(_ q: Int) -> UInt64 { q == queues - 1 ? namespace.size - UInt64(blocks) : stride * UInt64(q) }
        func readAll() throws(NVMeDriverError) {
            for q in 0..<queues {
                try driver.read(queue: q, lba: lba(q), blocks: blocks, into: readBack, offset: q * bytesPerQueue)
            }
        }
        do {
            for q in 0..<queues {
                try driver.write(queue: q, lba: lba(q), blocks: blocks, from: written, offset: q * bytesPerQueue)
            }
            try driver.flush()
            try readAll()
        } catch {
            return fail("I/O: \(error)")
        }
        guard readBack.host.elementsEqual(written.host) else { return fail("data read back differs from data written") }
        let kib = bytesPerQueue * queues / 1024
        let identity = driver.identity?.blockDeviceName.map { " as \($0)" } ?? ""
        var results = [
            SmokeResult(
                function: nvme.bdf, subject: subject, passed: true,
                detail: "wrote \(kib) KiB on \(queues) queues (\(namespace.blockSize) B blocks, PRP lists)\(identity), "
                    + "read back byte-exact\(nvme.controller.isEncrypted ? ", XTS-AES-256 on the card" : "")")
        ]
        guard nvme.kind == .nvmeInstanceStore else { return results }
        let generation = nvme.controller.keyGeneration
        do {
            try nvme.controller.cryptoErase()
            try readAll()
        } catch {
            return results + fail("after instance stop: \(error)")
        }
        let zeroes = readBack.host.allSatisfy { $0 == 0 }
        results.append(
            SmokeResult(
                function: nvme.bdf, subject: "nvme stop", passed: zeroes && nvme.controller.keyGeneration > generation,
                detail: zeroes
                    ? "instance stop: key \(generation) destroyed, key \(nvme.controller.keyGeneration) drawn; "
                        + "the same \(kib) KiB now read as zeroes, the old data is gone"
                    : "after the cryptographic erase, reads still return non-zero data"))
        return results
    }
}
