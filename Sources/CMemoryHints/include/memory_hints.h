/*
 * memory_hints: cache prefetch hints and a short-copy helper for device models' per-frame paths.
 * Header-only (the .c file only gives the target a source); Swift calls these inline.
 */
#pragma once
#include <stddef.h>
#include <string.h>
#if defined(__GLIBC__)
#include <malloc.h>
#endif

/** A hint, never a fault: start moving the line holding `address` towards the core for reading. */
static inline void mh_prefetch_read(const void *address) { __builtin_prefetch(address, 0, 3); }

/** A hint, never a fault: start moving the line holding `address` towards the core for writing. */
static inline void mh_prefetch_write(const void *address) { __builtin_prefetch(address, 1, 3); }

/** Sixteen bytes in a vector register. */
typedef long long mh_vector16 __attribute__((vector_size(16)));

/**
 * Copies `length` bytes (not overlapping). Lengths of 16 to 64 bytes, a minimum-size Ethernet
 * frame, take two or four unaligned 16-byte loads and stores whose ends may overlap, with no
 * call; anything else goes to memcpy.
 */
static inline void mh_copy_short(void *destination, const void *source, size_t length) {
    char *d = (char *)destination;
    const char *s = (const char *)source;
    if (length >= 16 && length <= 64) {
        mh_vector16 a, b, c, e;
        size_t half = length > 32 ? 16 : 0;
        __builtin_memcpy(&a, s, 16);
        __builtin_memcpy(&b, s + half, 16);
        __builtin_memcpy(&c, s + length - 16 - half, 16);
        __builtin_memcpy(&e, s + length - 16, 16);
        __builtin_memcpy(d, &a, 16);
        __builtin_memcpy(d + half, &b, 16);
        __builtin_memcpy(d + length - 16 - half, &c, 16);
        __builtin_memcpy(d + length - 16, &e, 16);
    } else {
        memcpy(d, s, length);
    }
}

/**
 * Asks the C allocator to serve blocks up to `mmap_threshold` bytes from the heap and to keep up
 * to `trim_threshold` bytes of freed heap, so memory a process frees and allocates again (a test
 * fixture's rings and buffers) comes back warm instead of as fresh mmap pages. Returns 0 where
 * the allocator has no such settings (not glibc).
 */
static inline int mh_keep_freed_memory(int mmap_threshold, int trim_threshold) {
#if defined(__GLIBC__)
    return mallopt(M_MMAP_THRESHOLD, mmap_threshold) && mallopt(M_TRIM_THRESHOLD, trim_threshold);
#else
    (void)mmap_threshold;
    (void)trim_threshold;
    return 0;
#endif
}
