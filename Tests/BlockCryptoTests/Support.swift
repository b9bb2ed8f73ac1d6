@_spi(KeyInjection) import BlockCrypto
import CXTS
import Foundation
import TestSupport

/// One record of Fixtures/xts/ieee1619-xts-aes-256.txt.
struct XTSVector: CustomStringConvertible {
    var number: Int
    var key: [UInt8]
    var dataUnit: UInt64
    var plaintext: [UInt8]
    var ciphertext: [UInt8]
    var description: String { "IEEE 1619 vector \(number) (data unit 0x\(String(dataUnit, radix: 16)))" }

    enum LoadError: Error { case malformed(String) }

    static func load() throws -> [XTSVector] {
        let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent()
        let text = try String(
            contentsOf: root.appendingPathComponent("Fixtures/xts/ieee1619-xts-aes-256.txt"), encoding: .utf8)
        var vectors: [XTSVector] = []
        var fields: [String: String] = [:]
        func finish() throws {
            defer { fields = [:] }
            guard !fields.isEmpty else { return }
            guard let number = fields["vector"].flatMap({ Int($0) }),
                let key1 = fields["key1"].flatMap(bytes(hex:)), let key2 = fields["key2"].flatMap(bytes(hex:)),
                let dataUnit = fields["dataunit"].flatMap({ UInt64($0, radix: 16) }),
                let plaintext = fields["plaintext"].flatMap(bytes(hex:)),
                let ciphertext = fields["ciphertext"].flatMap(bytes(hex:))
            else { throw LoadError.malformed("\(fields)") }
            vectors.append(
                XTSVector(number: number, key: key1 + key2, dataUnit: dataUnit, plaintext: plaintext, ciphertext: ciphertext))
        }
        for line in text.split(separator: "\n", omittingEmptySubsequences: false) {
            if line.hasPrefix("#") { continue }
            let parts = line.split(separator: " ", maxSplits: 1).map(String.init)
            if parts.isEmpty {
                try finish()
                continue
            }
            guard parts.count == 2 else { throw LoadError.malformed(String(line)) }
            fields[parts[0], default: ""] += parts[1]
        }
        try finish()
        return vectors
    }
}

/// Bytes from a hex string, or nil if it is not whole hex bytes.
func bytes(hex: String) -> [UInt8]? {
    let digits = Array(hex.utf8)
    guard digits.count % 2 == 0 else { return nil }
    var result: [UInt8] = []
    result.reserveCapacity(digits.count / 2)
    for index in stride(from: 0, to: digits.count, by: 2) {
        guard let byte = UInt8(String(decoding: digits[index..<index + 2], as: UTF8.self), radix: 16) else { return nil }
        result.append(byte)
    }
    return result
}

extension SplitMix64 {
    /// `count` random bytes.
    mutating func bytes(_ count: Int) -> [UInt8] {
        (0..<count).map { _ in UInt8(truncatingIfNeeded: next()) }
    }

    /// A random 64-byte XTS key with different halves.
    mutating func xtsKey() -> [UInt8] {
        while true {
            let key = bytes(64)
            if key[0..<32] != key[32..<64] { return key }
        }
    }
}

extension XTSAES256 {
    /// `data` encrypted as one data unit, or nil if the cipher refused.
    func encrypted(_ data: [UInt8], dataUnit: UInt64) -> [UInt8]? {
        transform(data) { input, output in encrypt(input, output, length: data.count, dataUnit: dataUnit) }
    }

    /// `data` decrypted as one data unit, or nil if the cipher refused.
    func decrypted(_ data: [UInt8], dataUnit: UInt64) -> [UInt8]? {
        transform(data) { input, output in decrypt(input, output, length: data.count, dataUnit: dataUnit) }
    }

    private func transform(
        _ data: [UInt8], _ body: (UnsafeRawPointer, UnsafeMutableRawPointer) -> Bool
    ) -> [UInt8]? {
        var output = [UInt8](repeating: 0, count: data.count)
        let ok = data.withUnsafeBytes { input in
            output.withUnsafeMutableBytes { output in
                guard let input = input.baseAddress, let output = output.baseAddress else { return false }
                return body(input, output)
            }
        }
        return ok ? output : nil
    }
}

/// An XTS-AES-256 written from IEEE 1619 independently of OpenSSL's XTS: only the raw AES-256
/// block cipher comes from OpenSSL (ECB, through `cxts_test_aes256_ecb`); the tweak encryption,
/// the multiplication by alpha in GF(2^128) and the XEX whitening per block are done here.
/// Whole blocks only (no ciphertext stealing), like `XTSAES256`.
struct ReferenceXTS {
    /// Key 1 encrypts the data, key 2 the tweak.
    let key1: [UInt8]
    let key2: [UInt8]

    init(key: [UInt8]) {
        key1 = Array(key[0..<32])
        key2 = Array(key[32..<64])
    }

    func encrypt(_ data: [UInt8], dataUnit: UInt64) -> [UInt8]? { crypt(data, dataUnit: dataUnit, encrypt: true) }
    func decrypt(_ data: [UInt8], dataUnit: UInt64) -> [UInt8]? { crypt(data, dataUnit: dataUnit, encrypt: false) }

    /// Multiplies a tweak by alpha (the polynomial x) in GF(2^128) modulo x^128 + x^7 + x^2 + x + 1.
    /// IEEE 1619 stores the tweak little endian: byte 0 holds the lowest coefficients, so the shift
    /// carries from each byte's top bit into the next byte, and the bit leaving byte 15 folds back as
    /// 0x87 into byte 0.
    static func multiplyByAlpha(_ tweak: inout [UInt8]) {
        var carry: UInt8 = 0
        for index in 0..<16 {
            let out = tweak[index] >> 7
            tweak[index] = (tweak[index] << 1) | carry
            carry = out
        }
        if carry != 0 { tweak[0] ^= 0x87 }
    }

    /// AES-256 over whole blocks in ECB mode.
    static func aes(key: [UInt8], _ blocks: [UInt8], encrypt: Bool) -> [UInt8]? {
        var output = [UInt8](repeating: 0, count: blocks.count)
        let ok = key.withUnsafeBufferPointer { key in
            blocks.withUnsafeBytes { input in
                output.withUnsafeMutableBytes { output in
                    cxts_test_aes256_ecb(key.baseAddress, input.baseAddress, output.baseAddress, blocks.count, encrypt ? 1 : 0)
                }
            }
        }
        return ok == 1 ? output : nil
    }

    private func crypt(_ data: [UInt8], dataUnit: UInt64, encrypt: Bool) -> [UInt8]? {
        guard data.count >= 16, data.count % 16 == 0 else { return nil }
        // T = E_K2(i), i = the data unit number as 128-bit little endian.
        let number = (0..<16).map { $0 < 8 ? UInt8(truncatingIfNeeded: dataUnit >> (8 * UInt64($0))) : 0 }
        guard var tweak = Self.aes(key: key2, number, encrypt: true) else { return nil }
        // Block j uses T * alpha^j: C_j = E_K1(P_j xor T_j) xor T_j (decrypt: D_K1 likewise).
        var masks: [UInt8] = []
        masks.reserveCapacity(data.count)
        for _ in 0..<data.count / 16 {
            masks += tweak
            Self.multiplyByAlpha(&tweak)
        }
        let whitened = zip(data, masks).map { $0 ^ $1 }
        guard let core = Self.aes(key: key1, whitened, encrypt: encrypt) else { return nil }
        return zip(core, masks).map { $0 ^ $1 }
    }
}
