@_spi(KeyInjection) import BlockCrypto
import CXTS
import Foundation
import TestSupport
import Testing

@Suite struct XTSAES256Tests {
    @Test(arguments: [512, 4096])
    func randomKeyRoundTripsEveryDataUnit(unitLength: Int) throws {
        let cipher = try XTSAES256()
        var rng = SplitMix64(seed: 0xdada)
        for dataUnit in [0, 1, 7, 0xffff_ffff, .max] as [UInt64] {
            let plaintext = rng.bytes(unitLength)
            let ciphertext = try #require(cipher.encrypted(plaintext, dataUnit: dataUnit))
            #expect(ciphertext != plaintext)
            #expect(cipher.decrypted(ciphertext, dataUnit: dataUnit) == plaintext, "data unit \(dataUnit)")
        }
    }

    @Test func sameDataInAnotherDataUnitEncryptsDifferently() throws {
        let cipher = try XTSAES256()
        let block = [UInt8](repeating: 0xA5, count: 4096)
        let ciphertexts = try [0, 1, 2, 1 << 32, 1 << 63].map { (dataUnit: UInt64) in
            try #require(cipher.encrypted(block, dataUnit: dataUnit))
        }
        #expect(Set(ciphertexts).count == ciphertexts.count)
        // Within one unit, equal plaintext blocks encrypt differently too (the tweak moves per block).
        let first = try #require(ciphertexts.first)
        #expect(Set(stride(from: 0, to: 4096, by: 16).map { Array(first[$0..<$0 + 16]) }).count == 256)
        // And the wrong data unit does not decrypt.
        #expect(cipher.decrypted(first, dataUnit: 1) != block)
    }

    @Test func twoFreshCiphersHaveDifferentKeys() throws {
        let block = [UInt8](repeating: 0, count: 512)
        let a = try #require(try XTSAES256().encrypted(block, dataUnit: 9))
        let b = try #require(try XTSAES256().encrypted(block, dataUnit: 9))
        #expect(a != b)
    }

    @Test func replaceKeyChangesCiphertextAndOldCiphertextNoLongerDecrypts() throws {
        var rng = SplitMix64(seed: 0xe4a5e)
        let plaintext = rng.bytes(4096)
        let cipher = try XTSAES256()
        let before = try #require(cipher.encrypted(plaintext, dataUnit: 42))
        try cipher.replaceKey()
        let after = try #require(cipher.encrypted(plaintext, dataUnit: 42))
        #expect(after != before)
        let oldDecrypted = try #require(cipher.decrypted(before, dataUnit: 42))
        #expect(oldDecrypted != plaintext)
        #expect(cipher.decrypted(after, dataUnit: 42) == plaintext)
    }

    @Test func replaceKeyDiscardsAnInjectedKey() throws {
        let vector = try #require(try XTSVector.load().first)
        let cipher = try XTSAES256(testKey: vector.key)
        try cipher.replaceKey()
        #expect(cipher.encrypted(vector.plaintext, dataUnit: vector.dataUnit) != vector.ciphertext)
        #expect(cipher.decrypted(vector.ciphertext, dataUnit: vector.dataUnit) != vector.plaintext)
    }

    @Test func keyGenerationStartsAtOneAndCountsReplacements() throws {
        let cipher = try XTSAES256()
        #expect(cipher.keyGeneration == 1)
        try cipher.replaceKey()
        #expect(cipher.keyGeneration == 2)
        try cipher.replaceKey()
        try cipher.replaceKey()
        #expect(cipher.keyGeneration == 4)
        var rng = SplitMix64(seed: 1)
        let injected = try XTSAES256(testKey: rng.xtsKey())
        #expect(injected.keyGeneration == 1)
        try injected.replaceKey()
        #expect(injected.keyGeneration == 2)
    }

    @Test func invalidLengthsReturnFalseAndLeaveOutputAlone() throws {
        let maximum = 16 << 20
        let cipher = try XTSAES256()
        // Buffers large enough for every length tried, so a missed check cannot run off the end.
        let input = UnsafeMutableRawBufferPointer.allocate(byteCount: maximum + 16, alignment: 16)
        let output = UnsafeMutableRawBufferPointer.allocate(byteCount: maximum + 16, alignment: 16)
        defer {
            input.deallocate()
            output.deallocate()
        }
        let source = try #require(input.baseAddress)
        let destination = try #require(output.baseAddress)
        memset(source, 0x11, input.count)
        memset(destination, 0xEE, output.count)
        let untouched = [UInt8](repeating: 0xEE, count: output.count)
        let lengths = [0, 1, 8, 15, 17, 31, 500, 511, 513, 4095, 4097, maximum + 16, -1, -16, -4096, .min, .max]
        for length in lengths {
            #expect(!cipher.encrypt(source, destination, length: length, dataUnit: 3), "length \(length)")
            #expect(!cipher.decrypt(source, destination, length: length, dataUnit: 3), "length \(length)")
        }
        #expect(memcmp(destination, untouched, output.count) == 0)
        // The bounds themselves are accepted: one block, and 2^20 blocks (16 MiB).
        for length in [16, maximum] {
            #expect(cipher.encrypt(source, destination, length: length, dataUnit: 5), "length \(length)")
            #expect(memcmp(source, destination, length) != 0, "length \(length)")
            #expect(cipher.decrypt(destination, destination, length: length, dataUnit: 5), "length \(length)")
            #expect(memcmp(source, destination, length) == 0, "length \(length)")
        }
    }

    @Test func testKeyOfWrongLengthIsRejected() {
        for count in [0, 16, 32, 63, 65, 128] {
            #expect(throws: BlockCryptoError.invalidLength, "\(count) bytes") {
                try XTSAES256(testKey: [UInt8](repeating: 7, count: count))
            }
        }
    }

    /// XTS needs key 1 != key 2. OpenSSL 3's default provider only refuses equal halves when
    /// encrypting (it still decrypts with them); the shim refuses them for both.
    @Test func testKeyWithEqualHalvesIsRejected() throws {
        var rng = SplitMix64(seed: 0x1)
        let half = rng.bytes(32)
        #expect(throws: BlockCryptoError.cipherFailed) { try XTSAES256(testKey: half + half) }
        #expect(throws: BlockCryptoError.cipherFailed) { try XTSAES256(testKey: [UInt8](repeating: 0, count: 64)) }
        var status = CXTS_OK
        let context = (half + half).withUnsafeBufferPointer { cxts_create_with_key($0.baseAddress, $0.count, &status) }
        #expect(context == nil)
        #expect(status == CXTS_ERR_KEY_EQUAL_HALVES)
        // Halves differing in one bit are a valid key.
        var almost = half + half
        almost[63] ^= 1
        let cipher = try XTSAES256(testKey: almost)
        #expect(cipher.encrypted([UInt8](repeating: 0, count: 16), dataUnit: 0) != nil)
    }

    @Test func separateCiphersOnConcurrentTasksGiveTheReferenceResults() async throws {
        // A cipher has one owner and no lock (it is not Sendable); separate ciphers share no
        // state, so each task builds its own from the same key.
        var rng = SplitMix64(seed: 0xc0c0)
        let key = rng.xtsKey()
        let reference = ReferenceXTS(key: key)
        let plaintext = rng.bytes(4096)
        let units: [UInt64] = (0..<64).map { UInt64($0) * 0x1_0001 }
        let expected = try units.map { try #require(reference.encrypt(plaintext, dataUnit: $0)) }
        let mismatches = await withTaskGroup(of: Int.self) { group in
            for worker in 0..<4 {
                group.addTask {
                    guard let cipher = try? XTSAES256(testKey: key) else { return 1 }
                    var wrong = 0
                    for round in 0..<8 {
                        for (index, unit) in units.enumerated() where (index + worker + round) % 2 == 0 {
                            let ciphertext = cipher.encrypted(plaintext, dataUnit: unit)
                            if ciphertext != expected[index] { wrong += 1 }
                            if let ciphertext, cipher.decrypted(ciphertext, dataUnit: unit) != plaintext { wrong += 1 }
                        }
                    }
                    return wrong
                }
            }
            return await group.reduce(0, +)
        }
        #expect(mismatches == 0)
    }

    @Test func directTweakPathMatchesTheEVPInitPath() throws {
        var rng = SplitMix64(seed: 0x7ea4)
        let key = rng.xtsKey()
        let direct = try XTSAES256(testKey: key)
        let viaInit = try XTSAES256(testKey: key)
        viaInit.installTweaksThroughEVP()
        // Debian's OpenSSL 3 passes the self-check, so the data path skips EVP_CipherInit_ex.
        #expect(direct.installsTweaksDirectly)
        #expect(!viaInit.installsTweaksDirectly)
        try Self.expectSameResults(direct, viaInit, lengths: [16, 32, 512, 4096], rng: &rng)
    }

    /// Encrypts random blocks of each length with `a` and `b` under interleaved data units (so a
    /// tweak left over from a previous call would show) and expects equal ciphertexts, each of
    /// which the other cipher decrypts back.
    static func expectSameResults(_ a: XTSAES256, _ b: XTSAES256, lengths: [Int], rng: inout SplitMix64) throws {
        for length in lengths {
            let plaintext = rng.bytes(length)
            for unit: UInt64 in [0, 1, 0xFFFF_FFFF_FFFF_FFFF, 7, 7, 0x1_0000_0000] {
                let fromA = try #require(a.encrypted(plaintext, dataUnit: unit))
                let fromB = try #require(b.encrypted(plaintext, dataUnit: unit))
                #expect(fromA == fromB)
                #expect(a.decrypted(fromB, dataUnit: unit) == plaintext)
                #expect(b.decrypted(fromA, dataUnit: unit) == plaintext)
            }
        }
    }

    @Test func oneCallPathMatchesTheCipherUpdatePath() throws {
        var rng = SplitMix64(seed: 0x0ca11)
        let key = rng.xtsKey()
        let oneCall = try XTSAES256(testKey: key)
        let viaUpdate = try XTSAES256(testKey: key)
        viaUpdate.runUnitsThroughCipherUpdate()
        // Debian's OpenSSL 3 passes the self-check, so each unit is one EVP_Cipher call.
        #expect(oneCall.runsUnitsInOneCall)
        #expect(!viaUpdate.runsUnitsInOneCall)
        #expect(viaUpdate.installsTweaksDirectly)
        try Self.expectSameResults(oneCall, viaUpdate, lengths: [16, 48, 512, 4096], rng: &rng)
        // The EVP_CipherInit_ex path turns the one-call path off as well.
        oneCall.installTweaksThroughEVP()
        #expect(!oneCall.runsUnitsInOneCall)
        try oneCall.replaceKey(testKey: key)
        #expect(oneCall.runsUnitsInOneCall)
    }

    /// The lanes that `XTSAES256` runs inline are published only for a proven one-call path and
    /// follow every key change: a lane gives what `cxts_encrypt`/`cxts_decrypt` give, and an
    /// unproven or unkeyed lane refuses (-1) so the caller takes the shim's checked path.
    @Test func inlineLanesFollowTheProvenPath() throws {
        var rng = SplitMix64(seed: 0x1a9e)
        let key = rng.xtsKey()
        var status = CXTS_OK
        let created = key.withUnsafeBufferPointer { cxts_create_with_key($0.baseAddress, $0.count, &status) }
        let context = try #require(created)
        defer { cxts_free(context) }
        let lanes = try #require(cxts_lanes(context))
        let plaintext = rng.bytes(4096)
        var viaShim = [UInt8](repeating: 0, count: 4096)
        var viaLane = [UInt8](repeating: 1, count: 4096)
        var back = [UInt8](repeating: 2, count: 4096)
        func encryptBothWays(_ unit: UInt64) -> Int32 {
            _ = cxts_encrypt(context, plaintext, &viaShim, 4096, unit)
            return cxts_run_lane(lanes, plaintext, &viaLane, 4096, unit)
        }
        #expect(lanes[0].cipher != nil && lanes[1].cipher != nil)
        for unit: UInt64 in [0, 9, 0xFFFF_FFFF_FFFF_FFFF] {
            #expect(encryptBothWays(unit) == 1)
            #expect(viaLane == viaShim)
            #expect(cxts_run_lane(lanes + 1, viaLane, &back, 4096, unit) == 1)
            #expect(back == plaintext)
        }
        cxts_test_disable_one_shot(context)
        #expect(lanes[0].cipher == nil && lanes[1].cipher == nil)
        viaLane = [UInt8](repeating: 1, count: 4096)
        #expect(encryptBothWays(5) == -1)
        #expect(viaLane == [UInt8](repeating: 1, count: 4096), "a refused lane writes nothing")
        #expect(cxts_test_install_key(context, key, key.count) == CXTS_OK)
        #expect(lanes[0].cipher != nil && lanes[1].cipher != nil)
        #expect(encryptBothWays(5) == 1)
        #expect(viaLane == viaShim)
        let half = rng.bytes(32)
        #expect(cxts_test_install_key(context, half + rng.bytes(31) + [0], 63) == CXTS_ERR_KEY_LENGTH)
        #expect(lanes[0].cipher != nil, "a rejected key leaves the installed one")
    }

    @Test func directTweakPathIsProvenAgainAfterEachNewKey() throws {
        let cipher = try XTSAES256()
        let block = [UInt8](repeating: 0x5a, count: 4096)
        for _ in 0..<3 {
            #expect(cipher.installsTweaksDirectly)
            #expect(cipher.runsUnitsInOneCall)
            let ciphertext = try #require(cipher.encrypted(block, dataUnit: 3))
            #expect(cipher.encrypted(block, dataUnit: 4) != ciphertext)
            #expect(cipher.decrypted(ciphertext, dataUnit: 3) == block)
            try cipher.replaceKey()
        }
    }
}
