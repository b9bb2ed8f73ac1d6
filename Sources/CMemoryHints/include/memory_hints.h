/*
 * memory_hints: cache prefetch hints and a short-copy helper for device models' per-frame paths.
 * Header-only (the .c file only gives the target a source); Swift calls these inline.
 */
#pragma once
#include <stddef.h>
#include <string.h>

/** A hint, never a fault: start moving the line holding `address` towards the core for reading. */
static inline void mh_prefetch_read(const void *address) { __builtin_prefetch(address, 0, 3); }

/** A hint, never a fault: start moving the line holding `address` towards the core for writing. */
static inline void mh_prefetch_write(const void *address) { __builtin_prefetch(address, 1, 3); }

/**
 * Copies `length` bytes (not overlapping). Lengths of 16 to 64 bytes, a minimum-size Ethernet
 * frame, take two or four unaligned 16-byte moves whose ends may overlap, with no call; anything
 * else goes to memcpy.
 */
static inline void mh_copy_short(void *destination, const void *source, size_t length) {
    char *d = (char *)destination;
    const char *s = (const char *)source;
    typedef char mh_block16[16];
    if (length >= 16 && length <= 32) {
        mh_block16 a, b;
        memcpy(a, s, 16);
        memcpy(b, s + length - 16, 16);
        memcpy(d, a, 16);
        memcpy(d + length - 16, b, 16);
    } else if (length > 32 && length <= 64) {
        mh_block16 a, b, c, e;
        memcpy(a, s, 16);
        memcpy(b, s + 16, 16);
        memcpy(c, s + length - 32, 16);
        memcpy(e, s + length - 16, 16);
        memcpy(d, a, 16);
        memcpy(d + 16, b, 16);
        memcpy(d + length - 32, c, 16);
        memcpy(d + length - 16, e, 16);
    } else {
        memcpy(d, s, length);
    }
}
