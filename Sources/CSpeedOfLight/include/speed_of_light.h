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

/// The speed of light of forwarding `count` frames from one NIC queue pair to another through a
/// switch: the driver side writes 16-byte advanced TX descriptors {buffer address, length|EOP|RS,
/// status} for frames of `length` bytes laid out back to back at `tx_buffers`; the "device" reads
/// each TX descriptor and the frame's destination MAC, looks the MAC up in a table of
/// `table_size` (a power of two) 64-bit keys, reads the next RX descriptor's buffer address,
/// copies the frame there, writes the 16-byte RX write-back {info, hash, status DD|EOP, length}
/// and sets DD in the TX descriptor; the driver side then reads the RX write-backs and the TX
/// DD bits. Rings have `entries` (a power of two) descriptors; `rx_buffers` holds `entries`
/// buffers `buffer_stride` bytes apart. Returns the bytes received (keeps the work observable).
uint64_t sol_switch_frames(void *tx_ring, void *rx_ring, uint32_t entries, uint32_t head, uint32_t count,
                           const void *tx_buffers, void *rx_buffers, uint32_t buffer_stride, uint32_t length,
                           const uint64_t *mac_table, uint32_t table_size);

/// The speed of light of an ENA sending `count` frames of `length` bytes to its own receive
/// queue (a loopback): the driver writes 16-byte Tx descriptors {length|phase|first|last, req_id,
/// buffer address} for frames laid out back to back at `tx_buffers`; the "device" reads each Tx
/// descriptor and the Rx descriptor at the same index (buffer address, req_id), copies the frame
/// into the Rx buffer, writes the 16-byte Rx completion {status|phase|first|last, length, req_id,
/// hash} and the 8-byte Tx completion {req_id, phase}; the driver then reads both completions by
/// phase and re-posts the 16-byte Rx descriptor with its buffer. Rings have `entries` (a power of
/// two) entries starting at `head`; `rx_buffers` holds `entries` buffers of 2048 bytes. Returns
/// the bytes received (keeps the work observable).
uint64_t sol_ena_tx_rx(void *tx_ring, void *tx_completions, void *rx_ring, void *rx_completions, uint32_t entries,
                       uint32_t head, uint32_t count, const void *tx_buffers, void *rx_buffers, uint32_t length);
/// Heap bytes in use according to the C allocator (glibc: mallinfo2 uordblks + hblkhd), or -1
/// where the allocator cannot tell. Used to check that a batch leaves the heap as it found it.
int64_t sol_heap_bytes_in_use(void);

#ifdef __cplusplus
}
#endif
