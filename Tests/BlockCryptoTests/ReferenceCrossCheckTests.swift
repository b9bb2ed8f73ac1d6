@_spi(KeyInjection) import BlockCrypto
import TestSupport
import Testing

/// XTSAES256 (OpenSSL's XTS) against ReferenceXTS (raw AES plus this target's own tweak
/// arithmetic) on seeded random keys, data units and contents.
@Suite struct ReferenceCrossCheckTests {
    /// Data unit numbers worth hitting on purpose: the tweak's byte boundaries and both ends.
    static let edgeDataUnits: [UInt64] = [0, 1, 0xff, 0x100, 0xffff_ffff, 0x1_0000_0000, 1 << 63, .max]

    @Test(arguments: [512, 4096], [0x5eed_0001, 0x5eed_0002, 0x5eed_0003, 0x5eed_0004] as [UInt64])
    func encryptionAndDecryptionMatchTheReference(unitLength: Int, seed: UInt64) throws {
        var rng = SplitMix64(seed: seed)
        let key = rng.xtsKey()
        let cipher = try XTSAES256(testKey: key)
        let reference = ReferenceXTS(key: key)
        let dataUnits = Self.edgeDataUnits + (0..<8).map { _ in rng.next() } + (0..<4).map { _ in rng.next() & 0xffff_ffff }
        for dataUnit in dataUnits {
            let plaintext = rng.bytes(unitLength)
            let expected = try #require(reference.encrypt(plaintext, dataUnit: dataUnit))
            #expect(cipher.encrypted(plaintext, dataUnit: dataUnit) == expected, "data unit \(dataUnit)")
            // Decrypt independently too: random bytes as ciphertext.
            let ciphertext = rng.bytes(unitLength)
            let expectedPlaintext = try #require(reference.decrypt(ciphertext, dataUnit: dataUnit))
            #expect(cipher.decrypted(ciphertext, dataUnit: dataUnit) == expectedPlaintext, "data unit \(dataUnit)")
        }
    }

    @Test func otherWholeBlockLengthsMatchTheReference() throws {
        var rng = SplitMix64(seed: 0x1619)
        let key = rng.xtsKey()
        let cipher = try XTSAES256(testKey: key)
        let reference = ReferenceXTS(key: key)
        for length in [16, 32, 48, 272, 1024, 8192, 65536] {
            let dataUnit = rng.next()
            let plaintext = rng.bytes(length)
            let expected = try #require(reference.encrypt(plaintext, dataUnit: dataUnit))
            #expect(cipher.encrypted(plaintext, dataUnit: dataUnit) == expected, "length \(length)")
        }
    }

    @Test func multiplicationByAlphaShiftsLittleEndianAndFoldsTheCarry() {
        var tweak = [UInt8](repeating: 0, count: 16)
        tweak[0] = 0x80
        ReferenceXTS.multiplyByAlpha(&tweak)
        #expect(tweak == [0x00, 0x01] + [UInt8](repeating: 0, count: 14))
        tweak = [UInt8](repeating: 0, count: 15) + [0x80]
        ReferenceXTS.multiplyByAlpha(&tweak)
        #expect(tweak == [0x87] + [UInt8](repeating: 0, count: 15))
        tweak = [UInt8](repeating: 0xff, count: 16)
        ReferenceXTS.multiplyByAlpha(&tweak)
        #expect(tweak == [0xfe ^ 0x87] + [UInt8](repeating: 0xff, count: 15))
    }
}
