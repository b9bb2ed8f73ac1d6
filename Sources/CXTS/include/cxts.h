/*
 * cxts: a small C shim over OpenSSL's EVP_aes_256_xts so Swift never handles key bytes.
 *
 * A cxts_ctx owns one XTS-AES-256 key (IEEE 1619: two AES-256 keys, 64 bytes) in the form of two
 * OpenSSL cipher contexts, one keyed for encryption and one for decryption. The key is generated
 * inside (RAND_priv_bytes) into a stack buffer, handed to OpenSSL and cleansed; no function returns
 * or prints key material. Freeing or rekeying a context destroys the old key schedules (OpenSSL
 * cleanses its cipher contexts when they are reset).
 *
 * Data units: the tweak is the data unit number as a 128-bit little-endian integer; lengths must be
 * a multiple of 16 bytes between CXTS_MIN_LENGTH and CXTS_MAX_LENGTH (no ciphertext stealing).
 *
 * Ownership: a context has no lock. It belongs to one owner (the NVMe namespace, which runs on the
 * controller's single thread), and calls on one context must not overlap; different contexts are
 * independent and may be used on different threads at the same time.
 *
 * Swift wrapper: Sources/BlockCrypto/XTSAES256.swift.
 */
#pragma once
#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/** Bytes in an XTS-AES-256 key: key 1 (data) followed by key 2 (tweak), 32 bytes each. */
#define CXTS_KEY_BYTES 64
/** Bytes in an AES block; data unit lengths are multiples of this. */
#define CXTS_BLOCK_BYTES 16
/** Smallest data unit: one block (IEEE 1619 minimum). */
#define CXTS_MIN_LENGTH 16
/** Largest data unit: 2^20 blocks (16 MiB), the IEEE 1619-2018 / SP 800-38E limit OpenSSL enforces. */
#define CXTS_MAX_LENGTH (((size_t)1 << 20) * CXTS_BLOCK_BYTES)

/** Result of creating or rekeying a context. */
typedef enum cxts_status {
    CXTS_OK = 0,
    /** The CSPRNG (RAND_priv_bytes) failed. */
    CXTS_ERR_RANDOM = 1,
    /** OpenSSL refused to set up the cipher, or memory ran out. */
    CXTS_ERR_CIPHER = 2,
    /** A supplied key has the wrong length. */
    CXTS_ERR_KEY_LENGTH = 3,
    /** A supplied key has equal halves (key 1 == key 2), which XTS forbids. */
    CXTS_ERR_KEY_EQUAL_HALVES = 4,
} cxts_status;

/** An XTS-AES-256 key held in OpenSSL contexts. Opaque. */
typedef struct cxts_ctx cxts_ctx;

/**
 * A context with a fresh random key. Returns NULL on failure and stores the reason in *status
 * (status may be NULL).
 */
cxts_ctx *cxts_create_random(cxts_status *status);

/**
 * Test seam: a context with the caller's 64-byte key (key 1 || key 2). The bytes are copied into
 * OpenSSL's key schedules and not kept otherwise. Returns NULL on failure (wrong length, equal
 * halves, OpenSSL failure) with the reason in *status (status may be NULL).
 */
cxts_ctx *cxts_create_with_key(const uint8_t *key, size_t key_length, cxts_status *status);

/**
 * Destroys the current key and installs a fresh random one (cryptographic erase). On failure the
 * context is left without any key: encrypt and decrypt fail until a later rekey succeeds. The key
 * generation counter advances only on success.
 */
cxts_status cxts_rekey(cxts_ctx *ctx);

/**
 * Test seam: replaces the key with the caller's 64-byte key (checked like cxts_create_with_key
 * before the old key is touched). On an OpenSSL failure the context is left without key, as after a
 * failed cxts_rekey. The key generation counter advances on success.
 */
cxts_status cxts_test_install_key(cxts_ctx *ctx, const uint8_t *key, size_t key_length);

/** How many keys the context has had: 1 after creation, +1 per successful rekey. */
uint64_t cxts_key_generation(cxts_ctx *ctx);

/**
 * Encrypts one data unit of `length` bytes from `input` to `output` (the same pointer, or
 * non-overlapping) with tweak = `data_unit` (128-bit little endian). Returns 1 on success, 0 on
 * failure (invalid length, no key, OpenSSL error); on failure `output` holds nothing useful.
 */
int cxts_encrypt(cxts_ctx *ctx, const void *input, void *output, size_t length, uint64_t data_unit);

/** Decrypts one data unit; the counterpart of cxts_encrypt, same rules. */
int cxts_decrypt(cxts_ctx *ctx, const void *input, void *output, size_t length, uint64_t data_unit);

/* OpenSSL's one-call cipher entry (as declared in <openssl/evp.h>; repeated here so that importers
   of this header do not import OpenSSL's headers). */
struct evp_cipher_ctx_st;
int EVP_Cipher(struct evp_cipher_ctx_st *ctx, unsigned char *out, const unsigned char *in, unsigned int inl);

/**
 * One direction's shortest path into OpenSSL, for callers that inline the per-unit call: the cipher
 * context and its live tweak buffer, both set only while a key is installed and both self-checks
 * (direct tweak, EVP_Cipher) proved that path for that key; both NULL otherwise. No key bytes: the
 * key schedules stay inside the OpenSSL context.
 */
typedef struct cxts_lane {
    struct evp_cipher_ctx_st *cipher;
    unsigned char *tweak;
} cxts_lane;

/**
 * The encryption lane (index 0) and decryption lane (index 1) of `ctx`: the address is fixed for the
 * context's life, the contents follow every rekey and test switch.
 */
const cxts_lane *cxts_lanes(cxts_ctx *ctx);

/** Clears the calling thread's OpenSSL error queue (after a failed cxts_run_lane). */
void cxts_discard_errors(void);

/**
 * Encrypts or decrypts (the lane's direction) one data unit through a proven lane: writes the tweak
 * (the data unit as a 128-bit little-endian number) into the lane's live buffer and makes one
 * EVP_Cipher call, exactly what cxts_encrypt/cxts_decrypt do on that path, without the call into
 * the shim. `length` must already be valid (a multiple of 16, 16 bytes to 16 MiB). Returns 1 on
 * success, 0 on an OpenSSL failure (errors cleared), -1 when the lane is not proven: the caller then
 * uses cxts_encrypt or cxts_decrypt.
 */
static inline int cxts_run_lane(const cxts_lane *lane, const void *input, void *output, size_t length,
                                uint64_t data_unit) {
    struct evp_cipher_ctx_st *cipher = lane->cipher;
    if (cipher == NULL) return -1;
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_BIG_ENDIAN__
    data_unit = __builtin_bswap64(data_unit);
#endif
    const uint64_t high = 0;
    __builtin_memcpy(lane->tweak, &data_unit, sizeof data_unit);
    __builtin_memcpy(lane->tweak + sizeof data_unit, &high, sizeof high);
    if (EVP_Cipher(cipher, (unsigned char *)output, (const unsigned char *)input, (unsigned int)length) == (int)length) {
        return 1;
    }
    cxts_discard_errors();
    return 0;
}

/** Destroys the key (OpenSSL cleanses its contexts) and frees the context. NULL is ignored. */
void cxts_free(cxts_ctx *ctx);

/**
 * Whether both directions install tweaks straight into OpenSSL's live IV buffer (the fast path,
 * proven by a self-check each time a key is installed) rather than through EVP_CipherInit_ex.
 * Results are identical either way. 0 for NULL or a context without key.
 */
int cxts_direct_tweak(cxts_ctx *ctx);

/** Test helper: makes `ctx` install tweaks through EVP_CipherInit_ex until its next key. */
void cxts_test_disable_direct_tweak(cxts_ctx *ctx);

/**
 * Whether both directions run each data unit with one EVP_Cipher call (the provider's one-shot
 * cipher function) after writing the tweak directly, rather than EVP_CipherUpdate: a path proven
 * by a self-check against EVP_CipherUpdate each time a key is installed, and only taken with the
 * direct tweak path. Results are identical either way. 0 for NULL or a context without key.
 */
int cxts_one_shot(cxts_ctx *ctx);

/** Test helper: makes `ctx` use EVP_CipherUpdate (keeping the direct tweak) until its next key. */
void cxts_test_disable_one_shot(cxts_ctx *ctx);

/**
 * Test helper, not for the data path: AES-256 in ECB mode (no padding) over `length` bytes (a
 * multiple of 16) with the caller's 32-byte key; `encrypt` 1 encrypts, 0 decrypts. Lets tests build
 * an independent XTS from the raw block cipher. Returns 1 on success, 0 on failure.
 */
int cxts_test_aes256_ecb(const uint8_t *key32, const void *input, void *output, size_t length, int encrypt);

#ifdef __cplusplus
}
#endif
