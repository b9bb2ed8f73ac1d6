#include "speed_of_light.h"

#include <string.h>

#if defined(__GLIBC__)
#include <malloc.h>
#endif

// Descriptors are little endian; every supported host (x86_64, arm64) is too, so fields are
// moved with memcpy (no alignment assumptions, compiles to plain loads and stores).

static inline uint64_t load64(const uint8_t *p) { uint64_t v; memcpy(&v, p, 8); return v; }
static inline uint32_t load32(const uint8_t *p) { uint32_t v; memcpy(&v, p, 4); return v; }
static inline void store64(uint8_t *p, uint64_t v) { memcpy(p, &v, 8); }
static inline void store32(uint8_t *p, uint32_t v) { memcpy(p, &v, 4); }

uint32_t sol_ring_post(void *ring, uint32_t entries, uint32_t head, uint32_t count,
                       const void *source, void *destination, uint32_t length) {
    uint8_t *base = ring;
    uint32_t mask = entries - 1;
    for (uint32_t i = 0; i < count; i++) {
        uint8_t *d = base + (size_t)head * SOL_DESCRIPTOR_SIZE;
        store64(d + 0x00, (uint64_t)(uintptr_t)((const uint8_t *)source + (size_t)i * length));
        store64(d + 0x08, (uint64_t)(uintptr_t)((uint8_t *)destination + (size_t)i * length));
        store32(d + 0x10, length);
        store32(d + 0x14, 0);
        store32(d + 0x18, 0);
        head = (head + 1) & mask;
    }
    return head;
}

uint64_t sol_ring_copy(void *ring, uint32_t entries, uint32_t head, uint32_t count) {
    uint8_t *base = ring;
    uint32_t mask = entries - 1;
    uint64_t sum = 0;
    for (uint32_t i = 0; i < count; i++) {
        uint8_t *d = base + (size_t)head * SOL_DESCRIPTOR_SIZE;
        uint64_t src = load64(d + 0x00);
        uint64_t dst = load64(d + 0x08);
        uint32_t len = load32(d + 0x10);
        memcpy((void *)(uintptr_t)dst, (const void *)(uintptr_t)src, len);
        store32(d + 0x18, SOL_STATUS_DONE);
        sum += len;
        head = (head + 1) & mask;
    }
    return sum;
}

uint32_t sol_ring_reclaim(const void *ring, uint32_t entries, uint32_t head, uint32_t count) {
    const uint8_t *base = ring;
    uint32_t mask = entries - 1;
    uint32_t done = 0;
    for (uint32_t i = 0; i < count; i++) {
        if (load32(base + (size_t)head * SOL_DESCRIPTOR_SIZE + 0x18) & SOL_STATUS_DONE) done++;
        head = (head + 1) & mask;
    }
    return done;
}

uint64_t sol_register_roundtrip(volatile uint32_t *registers, uint32_t index, uint64_t n) {
    uint64_t sum = 0;
    for (uint64_t i = 0; i < n; i++) {
        registers[index] = (uint32_t)i;
        sum += registers[index];
    }
    return sum;
}

uint64_t sol_register_read(const volatile uint32_t *registers, uint32_t index, uint64_t n) {
    uint64_t sum = 0;
    for (uint64_t i = 0; i < n; i++) sum += registers[index];
    return sum;
}

int64_t sol_heap_bytes_in_use(void) {
#if defined(__GLIBC__) && (__GLIBC__ > 2 || (__GLIBC__ == 2 && __GLIBC_MINOR__ >= 33))
    struct mallinfo2 info = mallinfo2();
    return (int64_t)(info.uordblks + info.hblkhd);
#else
    return -1;
#endif
}
