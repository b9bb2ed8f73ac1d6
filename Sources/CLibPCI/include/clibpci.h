/*
 * clibpci: a tiny non-variadic wrapper around libpci's name database, so Swift can call it.
 *
 * Every lookup returns 1 and fills `buf` (NUL-terminated) when the database knows the id,
 * 0 when it does not (or on error). libpci's fatal-error callback never exits the process:
 * it records the message and unwinds to the wrapper, which returns 0.
 * A handle is not thread-safe: callers serialise access to one handle.
 */
#pragma once

#include <stddef.h>

#ifdef __cplusplus
extern "C" {
#endif

/** Opaque handle over one `struct pci_access` used for name lookups only. */
typedef struct clibpci_handle clibpci_handle;

/**
 * Opens libpci for name lookups. `ids_path` may be NULL (libpci's default pci.ids).
 * Returns NULL on failure. Never touches the PCI bus itself.
 */
clibpci_handle *clibpci_open(const char *ids_path);

/** Releases the handle (NULL is allowed). */
void clibpci_close(clibpci_handle *handle);

/** Vendor name for `vendor`. */
int clibpci_vendor_name(clibpci_handle *handle, unsigned vendor, char *buf, size_t len);

/** Device name (without the vendor) for `vendor:device`. */
int clibpci_device_name(clibpci_handle *handle, unsigned vendor, unsigned device, char *buf, size_t len);

/**
 * Class name for `class_code` (base class << 8 | subclass): the subclass name, or when only the
 * base class is known, libpci's "Base name [ccss]" form.
 */
int clibpci_class_name(clibpci_handle *handle, unsigned class_code, char *buf, size_t len);

/** Programming interface name for `class_code` (base << 8 | sub) and `prog_if`. */
int clibpci_progif_name(clibpci_handle *handle, unsigned class_code, unsigned prog_if, char *buf, size_t len);

/**
 * Subsystem name as lspci resolves it: the per-device entry, then a generic subsystem entry,
 * then the device name when subsystem == device.
 */
int clibpci_subsystem_name(clibpci_handle *handle, unsigned vendor, unsigned device,
                           unsigned subsystem_vendor, unsigned subsystem_device, char *buf, size_t len);

/** The last error or warning libpci reported on this thread (empty if none). */
const char *clibpci_last_error(void);

#ifdef __cplusplus
}
#endif
