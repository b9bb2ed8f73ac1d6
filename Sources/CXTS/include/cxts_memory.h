/*
 * cxts_memory: cache hints and a streaming copy for the memory a block store keeps data units in.
 * Header-only; Swift reaches them through BlockCrypto's CacheControl.
 */
#pragma once
#include <stddef.h>
#include <stdint.h>
#include <string.h>

/** Bytes in a cache line, the step of cxts_prefetch. */
#define CXTS_CACHE_LINE 64

/**
 * A hint, never a fault: asks the CPU to start moving the cache lines of `length` bytes at
 * `address` towards the core, for writing when `for_write` is non-zero. Lets a caller overlap the
 * memory latency of the next data unit with the work on the current one.
 */
static inline void cxts_prefetch(const void *address, size_t length, int for_write) {
    const char *p = (const char *)address;
    if (for_write) {
        for (size_t at = 0; at < length; at += CXTS_CACHE_LINE) __builtin_prefetch(p + at, 1, 3);
    } else {
        for (size_t at = 0; at < length; at += CXTS_CACHE_LINE) __builtin_prefetch(p + at, 0, 3);
    }
}

typedef long long cxts_vector16 __attribute__((vector_size(16)));

/**
 * Copies `length` bytes from `source` to `destination` (not overlapping) with non-temporal
 * (streaming) stores when `destination` is 16-byte aligned and `length` a multiple of 16, else
 * with memcpy. A streaming store writes whole lines without first reading them into the cache,
 * which halves the memory traffic of filling a cold line and leaves the cache to data that will be
 * used again. The calling thread sees the bytes at once; another thread sees them after any lock,
 * fence or serialising instruction (each drains the write-combining buffers), which a hand-over
 * between threads always has.
 */
static inline void cxts_copy_streaming(void *destination, const void *source, size_t length) {
    if (((uintptr_t)destination & 15) != 0 || (length & 15) != 0) {
        memcpy(destination, source, length);
        return;
    }
    char *d = (char *)destination;
    const char *s = (const char *)source;
    for (size_t at = 0; at < length; at += 16) {
        cxts_vector16 v;
        memcpy(&v, s + at, sizeof v);
        __builtin_nontemporal_store(v, (cxts_vector16 *)(d + at));
    }
}
