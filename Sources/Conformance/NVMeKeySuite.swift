import Drivers
import NVMe
import PCIe

/// Key handling of an encrypted namespace (AWS: instance-store data is encrypted with
/// XTS-AES-256 under a key generated in the card, never visible to the instance, destroyed on
/// stop): what the backing store holds is never the plaintext, XTS ciphertext depends on the LBA
/// and on nothing else, and a cryptographic erase (Format SES=2, Sanitize crypto erase) leaves
/// reads returning zeroes and later writes stored under a different key. Data goes through the
/// reference driver; the store is read through the rig. Unencrypted namespaces are not checked.
enum NVMeKeySuite {
    static let name = "nvme-key-handling"

    static func run(_ f: NVMeFixture) -> [CheckResult] {
        [
            f.check(name, "EC2 the backing store holds no plaintext of written blocks") { noPlaintext(f, &$0) },
            f.check(name, "XTS (IEEE 1619): ciphertext depends on the LBA, is stable per key, and has no repeated 16-byte blocks")
            {
                tweaks(f, &$0)
            },
            f.check(name, "EC2 crypto erase (Format SES=2, Sanitize) returns zeroes and stores later writes under a new key") {
                cryptoErase(f, &$0)
            },
        ]
    }

    /// Whether the namespace is encrypted: the rig knows, or the controller is instance storage or
    /// advertises cryptographic erase.
    static func encrypted(_ f: NVMeFixture, _ driver: NVMeConformanceDriver) -> Bool {
        if let known = f.rig.encrypted { return known }
        guard let id = driver.identity else { return false }
        return f.function.deviceID == NVMe.instanceStoreDeviceID || id.supportsCryptographicFormat
    }

    /// Writes `data` (whole blocks) at `lba` through the driver.
    static func write(_ f: NVMeFixture, _ driver: NVMeConformanceDriver, _ data: [UInt8], lba: UInt64, _ r: inout CheckRecorder) {
        guard let bs = driver.namespace(1)?.blockSize, let buf = f.buffer(data.count, &r) else { return }
        for (i, b) in data.enumerated() { buf.host[i] = b }
        do {
            try driver.write(lba: lba, blocks: data.count / bs, from: buf)
            try driver.flush()
        } catch {
            r.expect(false, "reference driver write of LBA \(lba): \(error)")
        }
    }

    /// 16-byte units of `bytes`.
    static func units(_ bytes: [UInt8]) -> [ArraySlice<UInt8>] {
        stride(from: 0, to: bytes.count, by: 16).map { bytes[$0..<min($0 + 16, bytes.count)] }
    }

    private static func noPlaintext(_ f: NVMeFixture, _ r: inout CheckRecorder) -> Bool {
        guard let driver = f.startDriver(&r) else { return true }
        guard encrypted(f, driver), let stored = f.rig.storedBlock, let ns = driver.namespace(1) else { return false }
        let bs = ns.blockSize
        var patterns: [(UInt64, [UInt8])] = [(0, [UInt8](repeating: 0, count: bs)), (1, [UInt8](repeating: 0xAB, count: bs))]
        var seed: UInt64 = 0x9E37
        let random = (0..<bs).map { _ in
            seed = seed &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
            return UInt8(truncatingIfNeeded: seed >> 33)
        }
        patterns += [(7, random), (ns.size - 1, Array("DeviceBench plaintext marker ".utf8).cycled(to: bs))]
        for (lba, data) in patterns { write(f, driver, data, lba: lba, &r) }
        for (lba, data) in patterns {
            let at = stored(lba)
            r.expect(at.count == bs, "the store returned \(at.count) bytes for LBA \(lba), block size \(bs)")
            let plain = Set(units(data))
            let leaked = units(at).filter { plain.contains($0) }.count
            r.expect(leaked == 0, "LBA \(lba): \(leaked) of \(bs / 16) stored 16-byte units are plaintext units")
            r.expect(
                !at.allSatisfy { $0 == 0 } || data.allSatisfy { $0 != 0 },
                "LBA \(lba): the store holds zeroes for a written block")
        }
        return true
    }

    private static func tweaks(_ f: NVMeFixture, _ r: inout CheckRecorder) -> Bool {
        guard let driver = f.startDriver(&r) else { return true }
        guard encrypted(f, driver), let stored = f.rig.storedBlock, let bs = driver.namespace(1)?.blockSize else { return false }
        let data = [UInt8](repeating: 0x5C, count: bs)
        write(f, driver, data, lba: 10, &r)
        write(f, driver, data, lba: 11, &r)
        let first = stored(10)
        r.expect(first != stored(11), "equal plaintext at LBAs 10 and 11 is stored as equal ciphertext (no LBA tweak)")
        write(f, driver, data, lba: 10, &r)
        r.expect(stored(10) == first, "rewriting LBA 10 with the same data under the same key changed its ciphertext")
        let u = units(first)
        r.expect(Set(u).count == u.count, "a constant block's ciphertext repeats 16-byte units (no per-unit tweak, ECB-like)")
        return true
    }

    private static func cryptoErase(_ f: NVMeFixture, _ r: inout CheckRecorder) -> Bool {
        guard let driver = f.startDriver(&r) else { return true }
        guard encrypted(f, driver), let id = driver.identity, let ns = driver.namespace(1) else { return false }
        f.rememberFormat(ns.blockSize)
        let data = Array("cryptographic erase probe ".utf8).cycled(to: 4 * ns.blockSize)
        var ciphertexts: [[UInt8]] = []
        let erases: [(String, Bool, () throws(NVMeDriverError) -> Void)] = [
            (
                "Format NVM SES=2", id.supportsCryptographicFormat,
                { () throws(NVMeDriverError) in try driver.format(secureErase: .cryptographic) }
            ),
            (
                "Sanitize crypto erase", id.supportsSanitize(.cryptoErase),
                { () throws(NVMeDriverError) in try driver.sanitize(.cryptoErase) }
            ),
        ]
        r.expect(erases.contains { $0.1 }, "neither Format NVM SES=2 nor Sanitize crypto erase is advertised")
        for (what, supported, erase) in erases where supported {
            write(f, driver, data, lba: 20, &r)
            if let stored = f.rig.storedBlock { ciphertexts.append(stored(20)) }
            do {
                try erase()
            } catch {
                r.expect(false, "\(what): \(error)")
                continue
            }
            guard let buf = f.buffer(data.count, &r) else { return true }
            do {
                try driver.read(lba: 20, blocks: 4, into: buf)
                r.expect(buf.bytes(count: data.count).allSatisfy { $0 == 0 }, "after \(what) LBAs 20-23 do not read as zeroes")
            } catch {
                r.expect(false, "read after \(what): \(error)")
            }
        }
        if let stored = f.rig.storedBlock {
            write(f, driver, data, lba: 20, &r)
            ciphertexts.append(stored(20))
            r.expect(
                Set(ciphertexts).count == ciphertexts.count,
                "the same plaintext at LBA 20 was stored as the same ciphertext across a crypto erase")
        }
        return true
    }
}

extension Array where Element == UInt8 {
    /// This sequence repeated and cut to `count` bytes.
    func cycled(to count: Int) -> [UInt8] { isEmpty ? [] : (0..<count).map { self[$0 % self.count] } }
}
