#pragma once
// Speed-of-light references for DeviceBench benchmarks.
//
// Each function does the same memory work as an emulated path, with nothing around it: no bus
// routing, no register file, no IOMMU, no bounds checks. A benchmark's ratio is the emulated
// median divided by the median of the matching function here, measured in the same run.

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/// Bytes per descriptor, as in the DMA engine: {src u64, dst u64, len u32, flags u32, status u32, rsvd u32}.
#define SOL_DESCRIPTOR_SIZE 32
/// Status word written back for a completed descriptor (DMAEngineDescriptor.statusDone).
#define SOL_STATUS_DONE 1u

/// Driver side of a batch: writes `count` descriptors starting at ring index `head` (wrapping at
/// `entries`, a power of two). Descriptor i copies `length` bytes from `source + i * length` to
/// `destination + i * length`; addresses are host pointers stored as u64 (no translation).
/// Status is cleared, flags are zero. Returns the index after the last descriptor written.
uint32_t sol_ring_post(void *ring, uint32_t entries, uint32_t head, uint32_t count,
                       const void *source, void *destination, uint32_t length);

/// Device side: for `count` descriptors from `head`, reads src, dst and len from the
/// descriptor, copies the payload with memcpy and writes status Done. Returns the sum of the
/// lengths copied (a checksum that keeps the work observable).
uint64_t sol_ring_copy(void *ring, uint32_t entries, uint32_t head, uint32_t count);

/// Driver side of completion: reads the status of `count` descriptors from `head` and returns
/// how many have the Done bit set.
uint32_t sol_ring_reclaim(const void *ring, uint32_t entries, uint32_t head, uint32_t count);

/// The speed of light of an MMIO round trip: `n` times, a volatile 32-bit store of a changing
/// value to `registers[index]` followed by a volatile load of it. Returns the sum of the loads.
uint64_t sol_register_roundtrip(volatile uint32_t *registers, uint32_t index, uint64_t n);

/// A volatile 32-bit load of `registers[index]`, `n` times (speed of light of an MMIO read).
/// Returns the sum of the loads.
uint64_t sol_register_read(const volatile uint32_t *registers, uint32_t index, uint64_t n);

/// Heap bytes in use according to the C allocator (glibc: mallinfo2 uordblks + hblkhd), or -1
/// where the allocator cannot tell. Used to check that a batch leaves the heap as it found it.
int64_t sol_heap_bytes_in_use(void);

#ifdef __cplusplus
}
#endif
