/*
 * cxts: XTS-AES-256 over OpenSSL's EVP interface. See include/cxts.h for the contract.
 *
 * Key lifetime: a key exists only (a) for the few instructions between RAND_priv_bytes (or the
 * test seam's caller buffer) and the two EVP_CipherInit_ex calls, in a stack buffer cleansed with
 * OPENSSL_cleanse right after, and (b) as key schedules inside the two EVP_CIPHER_CTX. Rekeying and
 * freeing reset those contexts first; OpenSSL clears an AES-XTS context's memory when it frees it.
 *
 * Per-call cost: the contexts are keyed once; each data unit installs its 16-byte tweak and runs one
 * EVP_CipherUpdate (or EVP_Cipher, below), with no lock (a context belongs to one owner, see cxts.h). Installing a tweak
 * through EVP_CipherInit_ex(ctx, NULL, NULL, NULL, iv, -1) costs about as much as 10% of a 4 KiB
 * unit in OpenSSL 3.0 (it asks the provider for the IV length through an OSSL_PARAM lookup on
 * every call), and EVP_CIPHER_CTX_set_params(OSSL_CIPHER_PARAM_IV) is ignored by the XTS provider.
 * So, when keyed, each context asks once for the provider's live IV buffer
 * (EVP_CIPHER_CTX_iv_noconst, which returns the buffer the XTS stream function reads the tweak
 * from) and proves it with a self-check: the same probe encrypted with tweaks installed both ways
 * must give identical ciphertexts, and different tweaks different ones. Only then are tweaks
 * written there directly; otherwise (another OpenSSL, a provider that copies) every call takes the
 * EVP_CipherInit_ex path. The fast path never changes what is computed, only how the tweak gets in.
 *
 * With the direct tweak proven, a second self-check (proven_one_shot) compares EVP_Cipher, which
 * hands a provider cipher's one-shot function the unit without EVP_CipherUpdate's generic checks
 * (about 50 instructions a unit), against EVP_CipherUpdate on two tweaks and lengths; only if they
 * agree, and EVP_Cipher reports the byte count, does each unit take that call. That path is also
 * published as the context's lanes (cxts_lanes), so a caller can inline it (cxts_run_lane in
 * cxts.h: two tweak stores and the EVP_Cipher call, no call into this file per unit).
 */
/* EVP_CIPHER_CTX_iv_noconst is deprecated in OpenSSL 3.0 (still exported); see above. */
#define OPENSSL_SUPPRESS_DEPRECATED

#include "cxts.h"

#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/rand.h>

struct cxts_ctx {
    EVP_CIPHER_CTX *encrypt;
    EVP_CIPHER_CTX *decrypt;
    /* The providers' live tweak buffers, NULL where the self-check did not prove them (see top). */
    unsigned char *encrypt_tweak;
    unsigned char *decrypt_tweak;
    /* 1 where EVP_Cipher (one call into the provider's cipher function) is proven to compute what
       EVP_CipherUpdate does on that context (see proven_one_shot); only with a live tweak buffer. */
    int encrypt_one_shot;
    int decrypt_one_shot;
    /* 1 while both contexts hold the current key; 0 after a failed rekey. */
    int keyed;
    /* For inlined callers (cxts_run_lane): encrypt, then decrypt; set only where one_shot is 1. */
    cxts_lane lanes[2];
    uint64_t generation;
};

/* Attempts at drawing a random key whose halves differ (a collision has probability 2^-256). */
enum { RANDOM_KEY_ATTEMPTS = 4 };

static int halves_equal(const unsigned char *key) {
    return CRYPTO_memcmp(key, key + CXTS_KEY_BYTES / 2, CXTS_KEY_BYTES / 2) == 0;
}

/* Publishes the one-call paths the self-checks proved (and only those) as the context's lanes. */
static void update_lanes(cxts_ctx *ctx) {
    int encrypt = ctx->keyed && ctx->encrypt_one_shot && ctx->encrypt_tweak != NULL;
    int decrypt = ctx->keyed && ctx->decrypt_one_shot && ctx->decrypt_tweak != NULL;
    ctx->lanes[0].cipher = encrypt ? ctx->encrypt : NULL;
    ctx->lanes[0].tweak = encrypt ? ctx->encrypt_tweak : NULL;
    ctx->lanes[1].cipher = decrypt ? ctx->decrypt : NULL;
    ctx->lanes[1].tweak = decrypt ? ctx->decrypt_tweak : NULL;
}

/* Destroys whatever key the contexts hold. */
static void drop_key(cxts_ctx *ctx) {
    ctx->keyed = 0;
    ctx->encrypt_tweak = NULL;
    ctx->decrypt_tweak = NULL;
    ctx->encrypt_one_shot = 0;
    ctx->decrypt_one_shot = 0;
    update_lanes(ctx);
    EVP_CIPHER_CTX_reset(ctx->encrypt);
    EVP_CIPHER_CTX_reset(ctx->decrypt);
}

/* The tweak of `data_unit`: the number as a 128-bit little-endian integer (two 8-byte stores). */
static inline void tweak_bytes(unsigned char tweak[CXTS_BLOCK_BYTES], uint64_t data_unit) {
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_BIG_ENDIAN__
    data_unit = __builtin_bswap64(data_unit);
#endif
    const uint64_t high = 0;
    memcpy(tweak, &data_unit, sizeof data_unit);
    memcpy(tweak + sizeof data_unit, &high, sizeof high);
}

/* The documented way in: installs the tweak with EVP_CipherInit_ex, then one update. */
static int crypt_slow(EVP_CIPHER_CTX *cipher, const void *input, void *output, int length, uint64_t data_unit) {
    unsigned char tweak[CXTS_BLOCK_BYTES];
    tweak_bytes(tweak, data_unit);
    int written = 0;
    return EVP_CipherInit_ex(cipher, NULL, NULL, NULL, tweak, -1) == 1
           && EVP_CipherUpdate(cipher, output, &written, input, length) == 1 && written == length;
}

/* The fast way in: writes the tweak into the provider's buffer `live`, then one update. */
static int crypt_fast(EVP_CIPHER_CTX *cipher, unsigned char *live, const void *input, void *output, int length,
                      uint64_t data_unit) {
    tweak_bytes(live, data_unit);
    int written = 0;
    return EVP_CipherUpdate(cipher, output, &written, input, length) == 1 && written == length;
}

/*
 * The shortest way in: writes the tweak into `live`, then EVP_Cipher, which for a provider cipher
 * calls the provider's one-shot cipher function directly (for AES-XTS the same function the
 * update path ends in) without EVP_CipherUpdate's generic checks. Used only where
 * proven_one_shot showed it equal to crypt_fast; it must return the byte count.
 */
static int crypt_one_shot(EVP_CIPHER_CTX *cipher, unsigned char *live, const void *input, void *output, int length,
                          uint64_t data_unit) {
    tweak_bytes(live, data_unit);
    return EVP_Cipher(cipher, output, input, (unsigned int)length) == length;
}

/* Bytes of the self-check probe: two AES blocks. */
enum { PROBE_BYTES = 2 * CXTS_BLOCK_BYTES };

/*
 * The provider's live tweak buffer of `cipher` if writing it has exactly the effect of installing
 * the tweak with EVP_CipherInit_ex (checked on two tweaks, in this context's direction), else
 * NULL. The probe's ciphertexts are not secret (a fixed plaintext), but are cleansed anyway.
 */
static unsigned char *proven_tweak_buffer(EVP_CIPHER_CTX *cipher) {
    static const uint64_t units[2] = {0x0123456789abcdefULL, 0x42};
    unsigned char probe[PROBE_BYTES];
    unsigned char slow[2][PROBE_BYTES];
    unsigned char fast[2][PROBE_BYTES];
    for (int i = 0; i < PROBE_BYTES; i++) probe[i] = (unsigned char)(i * 29 + 3);
    if (!crypt_slow(cipher, probe, slow[0], PROBE_BYTES, units[0])) return NULL;
    unsigned char *live = EVP_CIPHER_CTX_iv_noconst(cipher);
    if (live == NULL || EVP_CIPHER_CTX_get_iv_length(cipher) != CXTS_BLOCK_BYTES) return NULL;
    if (!crypt_slow(cipher, probe, slow[1], PROBE_BYTES, units[1])) return NULL;
    for (int i = 0; i < 2; i++) {
        if (!crypt_fast(cipher, live, probe, fast[i], PROBE_BYTES, units[i])) return NULL;
    }
    int proven = memcmp(slow[0], fast[0], PROBE_BYTES) == 0 && memcmp(slow[1], fast[1], PROBE_BYTES) == 0
                 && memcmp(fast[0], fast[1], PROBE_BYTES) != 0;
    OPENSSL_cleanse(slow, sizeof slow);
    OPENSSL_cleanse(fast, sizeof fast);
    return proven ? live : NULL;
}

/*
 * Whether crypt_one_shot on `cipher` (with its proven live tweak buffer) gives exactly what
 * crypt_fast gives, on two tweaks and two lengths, and reports the byte count as success.
 */
static int proven_one_shot(EVP_CIPHER_CTX *cipher, unsigned char *live) {
    static const uint64_t units[2] = {0x0fedcba987654321ULL, 7};
    static const int lengths[2] = {PROBE_BYTES, CXTS_BLOCK_BYTES * 3};
    unsigned char probe[PROBE_BYTES * 2];
    unsigned char update[PROBE_BYTES * 2];
    unsigned char one_shot[PROBE_BYTES * 2];
    if (live == NULL) return 0;
    for (int i = 0; i < (int)sizeof probe; i++) probe[i] = (unsigned char)(i * 53 + 11);
    int proven = 1;
    for (int i = 0; i < 2 && proven; i++) {
        memset(update, 0, sizeof update);
        memset(one_shot, 0xff, sizeof one_shot);
        proven = crypt_fast(cipher, live, probe, update, lengths[i], units[i])
                 && crypt_one_shot(cipher, live, probe, one_shot, lengths[i], units[i])
                 && memcmp(update, one_shot, (size_t)lengths[i]) == 0
                 && memcmp(update, probe, (size_t)lengths[i]) != 0;
    }
    OPENSSL_cleanse(update, sizeof update);
    OPENSSL_cleanse(one_shot, sizeof one_shot);
    ERR_clear_error();
    return proven;
}

/* Keys both contexts with `key` (64 bytes, halves already checked). Caller cleanses `key`. */
static cxts_status install_key(cxts_ctx *ctx, const unsigned char *key) {
    drop_key(ctx);
    if (EVP_CipherInit_ex(ctx->encrypt, EVP_aes_256_xts(), NULL, key, NULL, 1) != 1
        || EVP_CipherInit_ex(ctx->decrypt, EVP_aes_256_xts(), NULL, key, NULL, 0) != 1) {
        drop_key(ctx);
        ERR_clear_error();
        return CXTS_ERR_CIPHER;
    }
    ctx->encrypt_tweak = proven_tweak_buffer(ctx->encrypt);
    ctx->decrypt_tweak = proven_tweak_buffer(ctx->decrypt);
    ctx->encrypt_one_shot = proven_one_shot(ctx->encrypt, ctx->encrypt_tweak);
    ctx->decrypt_one_shot = proven_one_shot(ctx->decrypt, ctx->decrypt_tweak);
    ERR_clear_error();
    ctx->keyed = 1;
    update_lanes(ctx);
    return CXTS_OK;
}

/* Draws a fresh random key and installs it; the key buffer never outlives this call. */
static cxts_status install_random_key(cxts_ctx *ctx) {
    unsigned char key[CXTS_KEY_BYTES];
    cxts_status status = CXTS_ERR_RANDOM;
    drop_key(ctx);
    for (int attempt = 0; attempt < RANDOM_KEY_ATTEMPTS; attempt++) {
        if (RAND_priv_bytes(key, (int)sizeof key) != 1) {
            ERR_clear_error();
            status = CXTS_ERR_RANDOM;
            break;
        }
        if (halves_equal(key)) {
            status = CXTS_ERR_RANDOM;
            continue;
        }
        status = install_key(ctx, key);
        break;
    }
    OPENSSL_cleanse(key, sizeof key);
    return status;
}

static cxts_ctx *new_context(void) {
    cxts_ctx *ctx = calloc(1, sizeof *ctx);
    if (ctx == NULL) return NULL;
    ctx->encrypt = EVP_CIPHER_CTX_new();
    ctx->decrypt = EVP_CIPHER_CTX_new();
    if (ctx->encrypt == NULL || ctx->decrypt == NULL) {
        cxts_free(ctx);
        return NULL;
    }
    return ctx;
}

static void report(cxts_status *out, cxts_status status) {
    if (out != NULL) *out = status;
}

cxts_ctx *cxts_create_random(cxts_status *status) {
    cxts_ctx *ctx = new_context();
    if (ctx == NULL) {
        report(status, CXTS_ERR_CIPHER);
        return NULL;
    }
    cxts_status result = install_random_key(ctx);
    if (result != CXTS_OK) {
        cxts_free(ctx);
        report(status, result);
        return NULL;
    }
    ctx->generation = 1;
    report(status, CXTS_OK);
    return ctx;
}

cxts_ctx *cxts_create_with_key(const uint8_t *key, size_t key_length, cxts_status *status) {
    if (key == NULL || key_length != CXTS_KEY_BYTES) {
        report(status, CXTS_ERR_KEY_LENGTH);
        return NULL;
    }
    if (halves_equal(key)) {
        report(status, CXTS_ERR_KEY_EQUAL_HALVES);
        return NULL;
    }
    cxts_ctx *ctx = new_context();
    if (ctx == NULL) {
        report(status, CXTS_ERR_CIPHER);
        return NULL;
    }
    cxts_status result = install_key(ctx, key);
    if (result != CXTS_OK) {
        cxts_free(ctx);
        report(status, result);
        return NULL;
    }
    ctx->generation = 1;
    report(status, CXTS_OK);
    return ctx;
}

cxts_status cxts_rekey(cxts_ctx *ctx) {
    if (ctx == NULL) return CXTS_ERR_CIPHER;
    cxts_status status = install_random_key(ctx);
    if (status == CXTS_OK) ctx->generation += 1;
    return status;
}

cxts_status cxts_test_install_key(cxts_ctx *ctx, const uint8_t *key, size_t key_length) {
    if (ctx == NULL) return CXTS_ERR_CIPHER;
    if (key == NULL || key_length != CXTS_KEY_BYTES) return CXTS_ERR_KEY_LENGTH;
    if (halves_equal(key)) return CXTS_ERR_KEY_EQUAL_HALVES;
    cxts_status status = install_key(ctx, key);
    if (status == CXTS_OK) ctx->generation += 1;
    return status;
}

uint64_t cxts_key_generation(cxts_ctx *ctx) {
    return ctx == NULL ? 0 : ctx->generation;
}

static int valid_length(size_t length) {
    return length >= CXTS_MIN_LENGTH && length <= CXTS_MAX_LENGTH && length % CXTS_BLOCK_BYTES == 0;
}

/* One data unit through ctx->encrypt or ctx->decrypt; the caller validated the length. */
static int crypt_unit(cxts_ctx *ctx, int encrypt, const void *input, void *output, size_t length,
                      uint64_t data_unit) {
    if (!ctx->keyed) return 0;
    EVP_CIPHER_CTX *cipher = encrypt ? ctx->encrypt : ctx->decrypt;
    unsigned char *live = encrypt ? ctx->encrypt_tweak : ctx->decrypt_tweak;
    int one_shot = encrypt ? ctx->encrypt_one_shot : ctx->decrypt_one_shot;
    int ok = one_shot   ? crypt_one_shot(cipher, live, input, output, (int)length, data_unit)
             : live != NULL ? crypt_fast(cipher, live, input, output, (int)length, data_unit)
                            : crypt_slow(cipher, input, output, (int)length, data_unit);
    if (!ok) ERR_clear_error();
    return ok;
}

int cxts_encrypt(cxts_ctx *ctx, const void *input, void *output, size_t length, uint64_t data_unit) {
    if (ctx == NULL || input == NULL || output == NULL || !valid_length(length)) return 0;
    return crypt_unit(ctx, 1, input, output, length, data_unit);
}

int cxts_decrypt(cxts_ctx *ctx, const void *input, void *output, size_t length, uint64_t data_unit) {
    if (ctx == NULL || input == NULL || output == NULL || !valid_length(length)) return 0;
    return crypt_unit(ctx, 0, input, output, length, data_unit);
}

void cxts_free(cxts_ctx *ctx) {
    if (ctx == NULL) return;
    /* EVP_CIPHER_CTX_free resets (and so clears) the contexts before releasing them. */
    EVP_CIPHER_CTX_free(ctx->encrypt);
    EVP_CIPHER_CTX_free(ctx->decrypt);
    OPENSSL_cleanse(ctx, sizeof *ctx);
    free(ctx);
}

int cxts_direct_tweak(cxts_ctx *ctx) {
    return ctx != NULL && ctx->keyed && ctx->encrypt_tweak != NULL && ctx->decrypt_tweak != NULL;
}

void cxts_test_disable_direct_tweak(cxts_ctx *ctx) {
    if (ctx == NULL) return;
    ctx->encrypt_tweak = NULL;
    ctx->decrypt_tweak = NULL;
    ctx->encrypt_one_shot = 0;
    ctx->decrypt_one_shot = 0;
    update_lanes(ctx);
}

int cxts_one_shot(cxts_ctx *ctx) {
    return ctx != NULL && ctx->keyed && ctx->encrypt_one_shot && ctx->decrypt_one_shot;
}

void cxts_test_disable_one_shot(cxts_ctx *ctx) {
    if (ctx == NULL) return;
    ctx->encrypt_one_shot = 0;
    ctx->decrypt_one_shot = 0;
    update_lanes(ctx);
}

const cxts_lane *cxts_lanes(cxts_ctx *ctx) {
    return ctx == NULL ? NULL : ctx->lanes;
}

void cxts_discard_errors(void) {
    ERR_clear_error();
}

int cxts_test_aes256_ecb(const uint8_t *key32, const void *input, void *output, size_t length, int encrypt) {
    if (key32 == NULL || input == NULL || output == NULL || length % CXTS_BLOCK_BYTES != 0
        || length > CXTS_MAX_LENGTH) {
        return 0;
    }
    EVP_CIPHER_CTX *cipher = EVP_CIPHER_CTX_new();
    if (cipher == NULL) return 0;
    int written = 0;
    int tail = 0;
    int ok = EVP_CipherInit_ex(cipher, EVP_aes_256_ecb(), NULL, key32, NULL, encrypt ? 1 : 0) == 1
             && EVP_CIPHER_CTX_set_padding(cipher, 0) == 1
             && EVP_CipherUpdate(cipher, output, &written, input, (int)length) == 1
             && EVP_CipherFinal_ex(cipher, (unsigned char *)output + written, &tail) == 1
             && (size_t)written + (size_t)tail == length;
    EVP_CIPHER_CTX_free(cipher);
    if (!ok) ERR_clear_error();
    return ok;
}
