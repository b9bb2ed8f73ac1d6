import CXTS

/// Why a ``XTSAES256`` could not be created or rekeyed.
public enum BlockCryptoError: Error, Equatable {
    /// The operating system's CSPRNG, through OpenSSL's `RAND_priv_bytes`, did not deliver a key.
    case randomSourceFailed
    /// OpenSSL refused to set up the cipher (or memory ran out), or a supplied test key was
    /// rejected because its two halves are equal (XTS requires key 1 ≠ key 2).
    case cipherFailed
    /// A supplied test key is not 64 bytes long.
    case invalidLength
}

/// XTS-AES-256 (IEEE 1619) over data units, the cipher behind an NVMe controller's
/// always-on encryption and its cryptographic erase.
///
/// The 512-bit key (AES-256 data key followed by AES-256 tweak key) is generated inside, by
/// OpenSSL's CSPRNG (`RAND_priv_bytes`), and held only as key schedules in OpenSSL cipher
/// contexts in C memory (the `CXTS` shim); Swift never sees it and nothing prints it.
/// ``replaceKey()`` destroys it and draws a new one; `deinit` destroys it.
///
/// The tweak of a data unit is its number (for NVMe, the LBA) as a 128-bit little-endian integer.
/// Data units must be a multiple of 16 bytes, from 16 bytes to 16 MiB (2^20 blocks, the IEEE
/// 1619-2018 limit); ciphertext stealing for other lengths is not supported, since NVMe logical
/// blocks are 512 or 4096 bytes.
///
/// One owner, no lock: an instance is not `Sendable` and its methods must not run concurrently (the
/// NVMe namespace that owns one runs on its controller's single thread). Separate instances are
/// independent and may be used on different threads. ``encrypt(_:_:length:dataUnit:)`` and
/// ``decrypt(_:_:length:dataUnit:)`` neither allocate nor lock: they write the tweak and run one
/// `EVP_CipherUpdate` (see ``installsTweaksDirectly``).
public final class XTSAES256 {
    /// Smallest data unit in bytes (one AES block, `CXTS_MIN_LENGTH`).
    @usableFromInline static var minimumLength: Int { 16 }
    /// Largest data unit in bytes (2^20 AES blocks, `CXTS_MAX_LENGTH`).
    @usableFromInline static var maximumLength: Int { (1 << 20) * 16 }
    /// Key length the test seam accepts.
    static let keyLength = Int(CXTS_KEY_BYTES)

    /// The C context holding the key schedules (opaque; Swift never sees key bytes). Usable from
    /// inlined code so a caller's per-unit call goes straight to the shim.
    @usableFromInline let context: OpaquePointer
    /// The context's encryption and decryption lanes (`cxts_lanes`): the proven one-call path
    /// that ``encrypt(_:_:length:dataUnit:)`` and ``decrypt(_:_:length:dataUnit:)`` run inline.
    @usableFromInline let lanes: UnsafePointer<cxts_lane>

    /// A cipher with a fresh random key (generation 1).
    ///
    /// - Throws: ``BlockCryptoError/randomSourceFailed`` if the CSPRNG fails,
    ///   ``BlockCryptoError/cipherFailed`` if OpenSSL cannot set up the cipher.
    public init() throws(BlockCryptoError) {
        var status = CXTS_OK
        guard let context = cxts_create_random(&status) else { throw Self.error(status) }
        guard let lanes = cxts_lanes(context) else {
            cxts_free(context)
            throw .cipherFailed
        }
        self.context = context
        self.lanes = lanes
    }

    /// Test seam: a cipher with a caller-supplied 64-byte key (key 1 ‖ key 2, IEEE 1619 order),
    /// for known-answer tests. Production code never supplies keys.
    ///
    /// The bytes are copied into OpenSSL's key schedules; the caller's array is not kept (and not
    /// cleansed, it belongs to the caller).
    ///
    /// - Throws: ``BlockCryptoError/invalidLength`` if `testKey` is not 64 bytes,
    ///   ``BlockCryptoError/cipherFailed`` if its halves are equal or OpenSSL rejects it.
    @_spi(KeyInjection) public init(testKey: [UInt8]) throws(BlockCryptoError) {
        var status = CXTS_OK
        let created = testKey.withUnsafeBufferPointer { key in
            cxts_create_with_key(key.baseAddress, key.count, &status)
        }
        guard let context = created else { throw Self.error(status) }
        guard let lanes = cxts_lanes(context) else {
            cxts_free(context)
            throw .cipherFailed
        }
        self.context = context
        self.lanes = lanes
    }

    deinit {
        cxts_free(context)
    }

    /// Encrypts one data unit: `length` bytes at `input` into `output`, with the data unit number
    /// as the 128-bit little-endian tweak.
    ///
    /// `input` and `output` may be the same buffer (in place) or must not overlap. `length` must be
    /// a multiple of 16 from 16 to 16 MiB. Allocation-free and lock-free; one tweak install and one
    /// call into OpenSSL (see ``runsUnitsInOneCall``), no key schedule.
    ///
    /// - Returns: `true` on success; `false` for an invalid length, a cipher left without key by a
    ///   failed ``replaceKey()``, or an OpenSSL failure (then `output` holds nothing useful).
    @inlinable
    public func encrypt(_ input: UnsafeRawPointer, _ output: UnsafeMutableRawPointer, length: Int, dataUnit: UInt64) -> Bool {
        guard Self.isValid(length: length) else { return false }
        let ran = cxts_run_lane(lanes, input, output, length, dataUnit)
        guard ran < 0 else { return ran == 1 }
        return cxts_encrypt(context, input, output, length, dataUnit) == 1
    }

    /// Decrypts one data unit: the inverse of ``encrypt(_:_:length:dataUnit:)``, same rules.
    ///
    /// - Returns: `true` on success; `false` for an invalid length, a cipher without key, or an
    ///   OpenSSL failure (then `output` holds nothing useful).
    @inlinable
    public func decrypt(_ input: UnsafeRawPointer, _ output: UnsafeMutableRawPointer, length: Int, dataUnit: UInt64) -> Bool {
        guard Self.isValid(length: length) else { return false }
        let ran = cxts_run_lane(lanes + 1, input, output, length, dataUnit)
        guard ran < 0 else { return ran == 1 }
        return cxts_decrypt(context, input, output, length, dataUnit) == 1
    }

    /// Cryptographic erase: destroys the current key (OpenSSL's contexts are reset, which clears
    /// their key schedules) and installs a fresh random one, so data encrypted before can no longer
    /// be decrypted. ``keyGeneration`` increases by one.
    ///
    /// - Throws: ``BlockCryptoError/randomSourceFailed`` or ``BlockCryptoError/cipherFailed``. The
    ///   old key is destroyed even then: the cipher is left without a key, encrypt and decrypt
    ///   return `false` until a later call succeeds, and ``keyGeneration`` is unchanged.
    public func replaceKey() throws(BlockCryptoError) {
        let status = cxts_rekey(context)
        guard status == CXTS_OK else { throw Self.error(status) }
    }

    /// Test seam: replaces the key with a caller-supplied 64-byte key (key 1 ‖ key 2), for
    /// known-answer tests on a cipher someone else owns. Production code never supplies keys.
    ///
    /// - Throws: ``BlockCryptoError/invalidLength`` if `testKey` is not 64 bytes,
    ///   ``BlockCryptoError/cipherFailed`` if its halves are equal (the old key is then kept) or
    ///   OpenSSL rejects it (the cipher is then left without key, as after a failed ``replaceKey()``).
    @_spi(KeyInjection) public func replaceKey(testKey: [UInt8]) throws(BlockCryptoError) {
        let status = testKey.withUnsafeBufferPointer { key in
            cxts_test_install_key(context, key.baseAddress, key.count)
        }
        guard status == CXTS_OK else { throw Self.error(status) }
    }

    /// How many keys this cipher has had (1 after init, +1 per successful ``replaceKey()`` or
    /// ``replaceKey(testKey:)``); never the key itself.
    public var keyGeneration: UInt64 { cxts_key_generation(context) }

    /// Whether tweaks go straight into OpenSSL's live IV buffer, a path proven by a self-check
    /// against `EVP_CipherInit_ex` whenever a key is installed (it saves that call's provider
    /// parameter lookup, about a tenth of a 4 KiB unit). When the check fails, for instance on an
    /// OpenSSL whose provider copies the IV, every call installs the tweak with
    /// `EVP_CipherInit_ex`; results are identical either way.
    public var installsTweaksDirectly: Bool { cxts_direct_tweak(context) == 1 }

    /// Test seam: installs tweaks with `EVP_CipherInit_ex` until the next key, so tests can compare
    /// both paths.
    @_spi(KeyInjection) public func installTweaksThroughEVP() { cxts_test_disable_direct_tweak(context) }

    /// Whether each data unit, after its tweak is written directly, runs as one `EVP_Cipher` call
    /// (the provider's one-shot cipher function) instead of `EVP_CipherUpdate`, whose generic
    /// checks cost about 50 instructions per unit. Proven by a self-check against
    /// `EVP_CipherUpdate` whenever a key is installed; results are identical either way.
    public var runsUnitsInOneCall: Bool { cxts_one_shot(context) == 1 }

    /// Test seam: runs data units through `EVP_CipherUpdate` (tweaks still written directly) until
    /// the next key, so tests can compare both paths.
    @_spi(KeyInjection) public func runUnitsThroughCipherUpdate() { cxts_test_disable_one_shot(context) }

    @inlinable @inline(__always)
    static func isValid(length: Int) -> Bool {
        length >= minimumLength && length <= maximumLength && length & 15 == 0
    }

    private static func error(_ status: cxts_status) -> BlockCryptoError {
        switch status {
        case CXTS_ERR_RANDOM: .randomSourceFailed
        case CXTS_ERR_KEY_LENGTH: .invalidLength
        default: .cipherFailed
        }
    }
}

/// Not `Sendable`: the C context has no lock (see ``XTSAES256``).
@available(*, unavailable)
extension XTSAES256: Sendable {}
