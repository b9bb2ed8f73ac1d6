// API contract (implemented by the BlockCrypto work; NVMe codes against these signatures):
//
// public enum BlockCryptoError: Error, Equatable { case randomSourceFailed, cipherFailed, invalidLength }
//
// /// XTS-AES-256 (IEEE 1619) over data units; the 512-bit key is generated inside (OpenSSL's
// /// CSPRNG, RAND_priv_bytes) and held only by OpenSSL contexts in C memory; Swift never sees it.
// public final class XTSAES256: @unchecked Sendable {
//     public init() throws(BlockCryptoError)                  // fresh random key
//     @_spi(KeyInjection) public init(testKey: [UInt8]) throws(BlockCryptoError)  // 64 bytes; tests only
//     /// Encrypts `length` bytes (>= 16) at `input` into `output` (may be the same) with the data unit number as
//     /// the 128-bit little-endian tweak. Returns false on failure (nothing useful written).
//     public func encrypt(_ input: UnsafeRawPointer, _ output: UnsafeMutableRawPointer, length: Int, dataUnit: UInt64) -> Bool
//     public func decrypt(_ input: UnsafeRawPointer, _ output: UnsafeMutableRawPointer, length: Int, dataUnit: UInt64) -> Bool
//     /// Cryptographic erase: destroys the key (cleansed) and generates a new one.
//     public func replaceKey() throws(BlockCryptoError)
//     /// How many keys this cipher has had (1 after init); never the key itself.
//     public private(set) var keyGeneration: UInt64
// }
