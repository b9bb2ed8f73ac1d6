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

uint64_t sol_switch_frames(void *tx_ring, void *rx_ring, uint32_t entries, uint32_t head, uint32_t count,
                           const void *tx_buffers, void *rx_buffers, uint32_t buffer_stride, uint32_t length,
                           const uint64_t *mac_table, uint32_t table_size) {
    uint8_t *tx = tx_ring;
    uint8_t *rx = rx_ring;
    uint32_t mask = entries - 1;
    uint64_t received = 0;
    /* Driver: post the batch, RX descriptors point at their buffers. */
    for (uint32_t i = 0, at = head; i < count; i++, at = (at + 1) & mask) {
        uint8_t *d = tx + (size_t)at * 16;
        store64(d, (uint64_t)(uintptr_t)((const uint8_t *)tx_buffers + (size_t)i * length));
        store32(d + 8, length | 0x2b300000u);
        store32(d + 12, length << 14);
        store64(rx + (size_t)at * 16, (uint64_t)(uintptr_t)((uint8_t *)rx_buffers + (size_t)at * buffer_stride));
        store64(rx + (size_t)at * 16 + 8, 0);
    }
    /* Device: switch every frame. */
    for (uint32_t i = 0, at = head; i < count; i++, at = (at + 1) & mask) {
        uint8_t *d = tx + (size_t)at * 16;
        const uint8_t *frame = (const uint8_t *)(uintptr_t)load64(d);
        uint32_t len = load32(d + 8) & 0xffff;
        uint64_t mac = 0;
        for (int b = 0; b < 6; b++) mac = (mac << 8) | frame[b];
        uint32_t slot = (uint32_t)((mac * 0x9E3779B97F4A7C15ull) >> 55) & (table_size - 1);
        while (mac_table[slot] != mac && mac_table[slot] != UINT64_MAX) slot = (slot + 1) & (table_size - 1);
        uint8_t *r = rx + (size_t)at * 16;
        void *buffer = (void *)(uintptr_t)load64(r);
        memcpy(buffer, frame, len);
        store32(r, 0);
        store32(r + 4, 0);
        store32(r + 8, 0x3u | (mac_table[slot] == mac ? 0x40000u : 0));
        store32(r + 12, len);
        store32(d + 12, load32(d + 12) | 1u);
    }
    /* Driver: reap RX write-backs and TX completions. */
    for (uint32_t i = 0, at = head; i < count; i++, at = (at + 1) & mask) {
        const uint8_t *r = rx + (size_t)at * 16;
        if (load32(r + 8) & 1u) received += load32(r + 12) & 0xffff;
        if (!(load32(tx + (size_t)at * 16 + 12) & 1u)) received -= 1;
    }
    return received;
}

uint64_t sol_ena_tx_rx(void *tx_ring, void *tx_completions, void *rx_ring, void *rx_completions, uint32_t entries,
                       uint32_t head, uint32_t count, const void *tx_buffers, void *rx_buffers, uint32_t length) {
    uint8_t *tx = tx_ring, *txc = tx_completions, *rx = rx_ring, *rxc = rx_completions;
    uint32_t mask = entries - 1;
    uint32_t phase = ((head / entries) & 1) ? 0 : 1;
    uint64_t received = 0;
    /* Driver: one Tx descriptor per frame (first, last, completion requested, phase). */
    for (uint32_t i = 0, at = head & mask; i < count; i++, at = (at + 1) & mask) {
        uint8_t *d = tx + (size_t)at * 16;
        uint64_t address = (uint64_t)(uintptr_t)((const uint8_t *)tx_buffers + (size_t)i * length);
        store32(d, length | (phase << 24) | 0x1c000000u);
        store32(d + 4, at << 22);
        store64(d + 8, address);
    }
    /* Device: gather each frame into the Rx buffer the Rx descriptor names, write both completions. */
    for (uint32_t i = 0, at = head & mask; i < count; i++, at = (at + 1) & mask) {
        const uint8_t *d = tx + (size_t)at * 16;
        uint32_t control = load32(d);
        if (((control >> 24) & 1) != phase) continue;
        const uint8_t *frame = (const uint8_t *)(uintptr_t)load64(d + 8);
        uint32_t len = control & 0xffff;
        const uint8_t *r = rx + (size_t)at * 16;
        uint8_t *buffer = (uint8_t *)(uintptr_t)load64(r + 8);
        uint16_t rx_id = (uint16_t)(load64(r) >> 32);
        memcpy(buffer, frame, len);
        uint8_t *c = rxc + (size_t)at * 16;
        store32(c, 0x4c000000u | (phase << 24) | 0x0d08u);
        store32(c + 4, len | ((uint32_t)rx_id << 16));
        store64(c + 8, 0);
        store64(txc + (size_t)at * 8, (uint64_t)(load32(d + 4) >> 22) | ((uint64_t)phase << 24));
    }
    /* Driver: reap Tx and Rx completions by phase, re-post the Rx descriptors. */
    for (uint32_t i = 0, at = head & mask; i < count; i++, at = (at + 1) & mask) {
        if (((load64(txc + (size_t)at * 8) >> 24) & 1) != phase) received -= 1;
        const uint8_t *c = rxc + (size_t)at * 16;
        if (((load32(c) >> 24) & 1) == phase) received += load32(c + 4) & 0xffff;
        uint8_t *r = rx + (size_t)at * 16;
        store64(r, 0x1c000000ull | (phase ? 0 : 1) << 24 | 2048u | ((uint64_t)(load32(c + 4) >> 16) << 32));
        store64(r + 8, (uint64_t)(uintptr_t)((uint8_t *)rx_buffers + (size_t)at * 2048));
    }
    return received;
}
