@_spi(KeyInjection) import BlockCrypto
import Testing

@Suite struct IEEE1619VectorTests {
    @Test func fixtureHoldsVectors10To14WithTheirDataUnitNumbers() throws {
        let vectors = try XTSVector.load()
        #expect(vectors.map(\.number) == [10, 11, 12, 13, 14])
        #expect(vectors.map(\.dataUnit) == [0xff, 0xffff, 0xff_ffff, 0xffff_ffff, 0xff_ffff_ffff])
        for vector in vectors {
            #expect(vector.key.count == 64, "\(vector)")
            #expect(vector.plaintext == (0..<512).map { UInt8(truncatingIfNeeded: $0) }, "\(vector)")
            #expect(vector.ciphertext.count == 512, "\(vector)")
        }
    }

    @Test func encryptReproducesEveryVector() throws {
        for vector in try XTSVector.load() {
            let cipher = try XTSAES256(testKey: vector.key)
            #expect(cipher.encrypted(vector.plaintext, dataUnit: vector.dataUnit) == vector.ciphertext, "\(vector)")
        }
    }

    @Test func aKeyInstalledIntoALiveCipherReproducesEveryVector() throws {
        // The namespace's test seam: one cipher object, keys replaced in place.
        let cipher = try XTSAES256()
        for (index, vector) in try XTSVector.load().enumerated() {
            try cipher.replaceKey(testKey: vector.key)
            #expect(cipher.keyGeneration == UInt64(index) + 2)
            #expect(cipher.installsTweaksDirectly)
            #expect(cipher.encrypted(vector.plaintext, dataUnit: vector.dataUnit) == vector.ciphertext, "\(vector)")
            #expect(cipher.decrypted(vector.ciphertext, dataUnit: vector.dataUnit) == vector.plaintext, "\(vector)")
        }
    }

    @Test func aRejectedTestKeyLeavesTheCurrentKeyInPlace() throws {
        let vector = try #require(try XTSVector.load().first)
        let cipher = try XTSAES256(testKey: vector.key)
        #expect(throws: BlockCryptoError.invalidLength) { try cipher.replaceKey(testKey: [UInt8](repeating: 1, count: 32)) }
        let half = [UInt8](repeating: 9, count: 32)
        #expect(throws: BlockCryptoError.cipherFailed) { try cipher.replaceKey(testKey: half + half) }
        #expect(cipher.keyGeneration == 1)
        #expect(cipher.encrypted(vector.plaintext, dataUnit: vector.dataUnit) == vector.ciphertext)
    }

    @Test func decryptReproducesEveryVector() throws {
        for vector in try XTSVector.load() {
            let cipher = try XTSAES256(testKey: vector.key)
            #expect(cipher.decrypted(vector.ciphertext, dataUnit: vector.dataUnit) == vector.plaintext, "\(vector)")
        }
    }

    @Test func inPlaceEncryptionAndDecryptionReproduceEveryVector() throws {
        for vector in try XTSVector.load() {
            let cipher = try XTSAES256(testKey: vector.key)
            var buffer = vector.plaintext
            let encrypted = buffer.withUnsafeMutableBytes { bytes in
                guard let base = bytes.baseAddress else { return false }
                return cipher.encrypt(base, base, length: bytes.count, dataUnit: vector.dataUnit)
            }
            #expect(encrypted && buffer == vector.ciphertext, "\(vector)")
            let decrypted = buffer.withUnsafeMutableBytes { bytes in
                guard let base = bytes.baseAddress else { return false }
                return cipher.decrypt(base, base, length: bytes.count, dataUnit: vector.dataUnit)
            }
            #expect(decrypted && buffer == vector.plaintext, "\(vector)")
        }
    }

    /// The reference implementation the cross-check trusts is itself checked against the standard.
    @Test func referenceImplementationReproducesEveryVector() throws {
        for vector in try XTSVector.load() {
            let reference = ReferenceXTS(key: vector.key)
            #expect(reference.encrypt(vector.plaintext, dataUnit: vector.dataUnit) == vector.ciphertext, "\(vector)")
            #expect(reference.decrypt(vector.ciphertext, dataUnit: vector.dataUnit) == vector.plaintext, "\(vector)")
        }
    }
}
