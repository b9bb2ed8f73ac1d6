@_spi(KeyInjection) import BlockCrypto
import Foundation
@_spi(KeyInjection) import NVMe
import PCIe
import Testing

@Suite("XTS-AES-256 at rest, key handling and cryptographic erase")
struct EncryptionTests {
    /// A fixed 64-byte test key with distinct halves.
    static let testKey: [UInt8] = (0..<64).map { UInt8(truncatingIfNeeded: $0 &* 37 &+ 11) }

    /// XTS of `block` under the test key with `lba` as the tweak, by the BlockCrypto cipher.
    func reference(_ block: [UInt8], lba: UInt64) throws -> [UInt8] {
        let cipher = try XTSAES256(testKey: Self.testKey)
        var out = [UInt8](repeating: 0, count: block.count)
        let ok = block.withUnsafeBytes { i in
            out.withUnsafeMutableBytes { o in
                cipher.encrypt(
                    i.baseAddress.unsafelyUnwrapped, o.baseAddress.unsafelyUnwrapped, length: block.count, dataUnit: lba)
            }
        }
        #expect(ok)
        return out
    }

    /// Whether any 16-byte window of `needle` appears in `haystack` at a 16-byte boundary.
    func containsPlaintext(_ haystack: [UInt8], _ needle: [UInt8]) -> Bool {
        let chunks = Set(stride(from: 0, to: needle.count, by: 16).map { Array(needle[$0..<($0 + 16)]) })
        return stride(from: 0, to: haystack.count, by: 16).contains { chunks.contains(Array(haystack[$0..<($0 + 16)])) }
    }

    @Test("Instance storage never stores plaintext, and reads decrypt to it", arguments: [512, 4096])
    func noPlaintextAtRest(_ blockSize: Int) throws {
        let t = try NVMeBench.ready(instanceStoreConfiguration(blockSize: blockSize))
        #expect(t.controller.keyGeneration == 1)
        let data = pattern(16 * blockSize, seed: 21)
        #expect(try t.write(data, at: 3) == .success)
        #expect(try t.read(at: 3, blocks: 16).1 == data)
        for i in 0..<16 {
            let stored = t.controller.storedBytes(ofBlock: UInt64(3 + i))
            #expect(!containsPlaintext(stored, data))
            #expect(stored != [UInt8](repeating: 0, count: blockSize))
        }
    }

    @Test("With an injected key, the stored block is XTS-AES-256 of the data with the LBA as tweak", arguments: [512, 4096])
    func ciphertextMatchesXTS(_ blockSize: Int) throws {
        let t = try NVMeBench.ready(instanceStoreConfiguration(blockSize: blockSize))
        try t.controller.installTestKey(Self.testKey)
        #expect(t.controller.keyGeneration == 2)
        let data = pattern(4 * blockSize, seed: 22)
        #expect(try t.write(data, at: 77) == .success)
        for i in 0..<4 {
            let block = Array(data[(i * blockSize)..<((i + 1) * blockSize)])
            #expect(t.controller.storedBytes(ofBlock: UInt64(77 + i)) == (try reference(block, lba: UInt64(77 + i))))
        }
        #expect(try t.read(at: 77, blocks: 4).1 == data)
    }

    @Test("Host crypto erase: new key generation, old blocks read as zeroes, the store keeps only old ciphertext")
    func hostCryptoErase() throws {
        let t = try NVMeBench.ready(instanceStoreConfiguration())
        let data = pattern(8 * 4096, seed: 23)
        #expect(try t.write(data, at: 0) == .success)
        let stored = t.controller.storedBytes(ofBlock: 0)
        try t.controller.cryptoErase()
        #expect(t.controller.keyGeneration == 2)
        #expect(t.controller.allocatedBlocks == 0)
        let (status, back) = try t.read(at: 0, blocks: 8)
        #expect(status == .success && back.allSatisfy { $0 == 0 })
        #expect(t.controller.storedBytes(ofBlock: 0) == stored, "ciphertext under a destroyed key")
        #expect(!containsPlaintext(t.controller.storedBytes(ofBlock: 0), data))
        #expect(try t.write(data, at: 0) == .success)
        #expect(t.controller.storedBytes(ofBlock: 0) != stored, "a new key gives new ciphertext")
        #expect(try t.read(at: 0, blocks: 8).1 == data)
    }

    @Test("Format NVM SES=2 and Sanitize crypto erase replace the key and zero every block")
    func guestCryptoErase() throws {
        let t = try NVMeBench.ready(instanceStoreConfiguration())
        let data = pattern(4096, seed: 24)
        #expect(try t.write(data, at: 5) == .success)
        #expect(try t.adminCommand(.formatNVM, nsid: 1, cdw10: 1 | 2 << 9).status == .success)
        #expect(t.controller.keyGeneration == 2)
        #expect(try t.read(at: 5, blocks: 1).1.allSatisfy { $0 == 0 })
        #expect(try t.write(data, at: 5) == .success)
        #expect(try t.adminCommand(.sanitize, cdw10: 4).status == .success)
        #expect(t.controller.keyGeneration == 3)
        #expect(try t.read(at: 5, blocks: 1).1.allSatisfy { $0 == 0 })
        let (_, log) = try t.adminData(.getLogPage, cdw10: 127 << 16 | 0x81)
        #expect(le(log, 4, as: UInt32.self) == 4)
    }

    @Test("Encrypted EBS works like instance storage; unencrypted EBS stores plaintext")
    func ebsEncryptionSwitch() throws {
        let plain = try NVMeBench.ready()
        let data = pattern(512, seed: 25)
        #expect(try plain.write(data, at: 1) == .success)
        #expect(plain.controller.storedBytes(ofBlock: 1) == data)
        #expect(plain.controller.keyGeneration == 0)
        let sealed = try NVMeBench.ready(ebsConfiguration(encrypted: true))
        #expect(try sealed.write(data, at: 1) == .success)
        #expect(sealed.controller.storedBytes(ofBlock: 1) != data)
        #expect(try sealed.read(at: 1, blocks: 1).1 == data)
    }

    @Test("Instance storage cannot be configured unencrypted")
    func instanceStoreAlwaysEncrypted() throws {
        var c = instanceStoreConfiguration()
        c.encrypted = false
        #expect(throws: NVMeSetupError.self) {
            _ = try NVMe.makeController(at: BDF(bus: 0, device: 1, function: 0), services: PCIBus().services, configuration: c)
        }
    }
}

@Suite("File-backed namespaces")
struct FileBackingTests {
    func temporaryPath() -> String {
        FileManager.default.temporaryDirectory.appendingPathComponent("nvme-\(UUID().uuidString).img").path
    }

    @Test("Unencrypted EBS on a file keeps its data and NUSE across controller re-creation; deallocation persists too")
    func persistence() throws {
        let path = temporaryPath()
        defer { try? FileManager.default.removeItem(atPath: path) }
        let data = pattern(16 * 4096, seed: 31)
        do {
            let t = try NVMeBench.ready(ebsConfiguration(blockSize: 4096, backing: .file(path: path)))
            #expect(try t.write(data, at: 10) == .success)
            #expect(try t.io(.writeZeroes, slba: 12, blocks: 2).status == .success)
            #expect(try t.io(.flush).status == .success)
        }
        let again = try NVMeBench.ready(ebsConfiguration(blockSize: 4096, backing: .file(path: path)))
        let expected = data.enumerated().map { i, b in (8192..<16384).contains(i) ? 0 : b }
        #expect(try again.read(at: 10, blocks: 16).1 == expected)
        #expect(again.controller.allocatedBlocks == 14)
        #expect(try again.read(at: 0, blocks: 1).1.allSatisfy { $0 == 0 })
    }

    @Test("An encrypted file-backed namespace holds only ciphertext and starts erased when re-created (the key died)")
    func encryptedFileStartsErased() throws {
        let path = temporaryPath()
        defer { try? FileManager.default.removeItem(atPath: path) }
        let data = pattern(4 * 4096, seed: 32)
        do {
            let t = try NVMeBench.ready(ebsConfiguration(blockSize: 4096, encrypted: true, backing: .file(path: path)))
            #expect(try t.write(data, at: 0) == .success)
            #expect(try t.read(at: 0, blocks: 4).1 == data)
            let file = try [UInt8](Data(contentsOf: URL(fileURLWithPath: path)))
            #expect(!file[0..<(4 * 4096)].elementsEqual(data))
        }
        let again = try NVMeBench.ready(ebsConfiguration(blockSize: 4096, encrypted: true, backing: .file(path: path)))
        #expect(again.controller.allocatedBlocks == 0)
        #expect(try again.read(at: 0, blocks: 4).1.allSatisfy { $0 == 0 })
    }

    @Test("A backing file that cannot be opened is a setup error, not a crash")
    func badPath() {
        #expect(throws: NVMeSetupError.self) {
            _ = try NVMe.makeController(
                at: BDF(bus: 0, device: 1, function: 0), services: PCIBus().services,
                configuration: ebsConfiguration(backing: .file(path: "/nonexistent-dir/x.img")))
        }
    }
}
