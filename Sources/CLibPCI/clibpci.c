#include "clibpci.h"

#include <pci/pci.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct clibpci_handle {
    struct pci_access *access;
};

/* libpci's callbacks get no context pointer, so the recovery point is per thread. */
static _Thread_local jmp_buf *recovery_point;
static _Thread_local char last_message[256];

static void record(const char *msg, va_list args) {
    vsnprintf(last_message, sizeof last_message, msg, args);
}

/* Declared noreturn by libpci: it must not return, so it unwinds to the active wrapper. */
static void on_error(char *msg, ...) PCI_PRINTF(1, 2) PCI_NONRET;
static void on_warning(char *msg, ...) PCI_PRINTF(1, 2);
static void on_debug(char *msg, ...) PCI_PRINTF(1, 2);

static void on_error(char *msg, ...) {
    va_list args;
    va_start(args, msg);
    record(msg, args);
    va_end(args);
    if (recovery_point != NULL)
        longjmp(*recovery_point, 1);
    /* No wrapper is active (cannot happen: libpci only calls back from our calls). */
    abort();
}

static void on_warning(char *msg, ...) {
    va_list args;
    va_start(args, msg);
    record(msg, args);
    va_end(args);
}

static void on_debug(char *msg, ...) {
    (void)msg;
}

const char *clibpci_last_error(void) { return last_message; }

clibpci_handle *clibpci_open(const char *ids_path) {
    clibpci_handle *handle = calloc(1, sizeof *handle);
    if (handle == NULL)
        return NULL;
    jmp_buf here;
    jmp_buf *saved = recovery_point;
    if (setjmp(here) != 0) {
        recovery_point = saved;
        free(handle);
        return NULL;
    }
    recovery_point = &here;
    struct pci_access *access = pci_alloc();
    if (access != NULL) {
        access->error = on_error;
        access->warning = on_warning;
        access->debug = on_debug;
        if (ids_path != NULL) {
            size_t n = strlen(ids_path) + 1;
            char *copy = malloc(n);
            if (copy != NULL) {
                memcpy(copy, ids_path, n);
                pci_set_name_list_path(access, copy, 1);
            }
        }
    }
    recovery_point = saved;
    if (access == NULL) {
        free(handle);
        return NULL;
    }
    /* pci_init() is deliberately not called: name lookups need no bus access method. */
    handle->access = access;
    return handle;
}

void clibpci_close(clibpci_handle *handle) {
    if (handle == NULL)
        return;
    jmp_buf here;
    jmp_buf *saved = recovery_point;
    if (setjmp(here) == 0) {
        recovery_point = &here;
        pci_cleanup(handle->access);
    }
    recovery_point = saved;
    free(handle);
}

#define LOOKUP_BEGIN                                                    \
    if (handle == NULL || buf == NULL || len < 2 || len > 1u << 20)     \
        return 0;                                                       \
    buf[0] = 0;                                                         \
    jmp_buf here;                                                       \
    jmp_buf *saved = recovery_point;                                    \
    if (setjmp(here) != 0) {                                            \
        recovery_point = saved;                                         \
        buf[0] = 0;                                                     \
        return 0;                                                       \
    }                                                                   \
    recovery_point = &here;

static int finish(char *result, char *buf, size_t len, jmp_buf *saved) {
    recovery_point = saved;
    if (result == NULL)
        return 0;
    if (result != buf) {
        snprintf(buf, len, "%s", result);
    }
    return 1;
}

int clibpci_vendor_name(clibpci_handle *handle, unsigned vendor, char *buf, size_t len) {
    LOOKUP_BEGIN
    char *r = pci_lookup_name(handle->access, buf, (int)len, PCI_LOOKUP_VENDOR | PCI_LOOKUP_NO_NUMBERS,
                              (int)(vendor & 0xffff));
    return finish(r, buf, len, saved);
}

int clibpci_device_name(clibpci_handle *handle, unsigned vendor, unsigned device, char *buf, size_t len) {
    LOOKUP_BEGIN
    char *r = pci_lookup_name(handle->access, buf, (int)len, PCI_LOOKUP_DEVICE | PCI_LOOKUP_NO_NUMBERS,
                              (int)(vendor & 0xffff), (int)(device & 0xffff));
    return finish(r, buf, len, saved);
}

int clibpci_class_name(clibpci_handle *handle, unsigned class_code, char *buf, size_t len) {
    LOOKUP_BEGIN
    char *r = pci_lookup_name(handle->access, buf, (int)len, PCI_LOOKUP_CLASS | PCI_LOOKUP_NO_NUMBERS,
                              (int)(class_code & 0xffff));
    return finish(r, buf, len, saved);
}

int clibpci_progif_name(clibpci_handle *handle, unsigned class_code, unsigned prog_if, char *buf, size_t len) {
    LOOKUP_BEGIN
    char *r = pci_lookup_name(handle->access, buf, (int)len, PCI_LOOKUP_PROGIF | PCI_LOOKUP_NO_NUMBERS,
                              (int)(class_code & 0xffff), (int)(prog_if & 0xff));
    return finish(r, buf, len, saved);
}

int clibpci_subsystem_name(clibpci_handle *handle, unsigned vendor, unsigned device,
                           unsigned subsystem_vendor, unsigned subsystem_device, char *buf, size_t len) {
    LOOKUP_BEGIN
    char *r = pci_lookup_name(handle->access, buf, (int)len,
                              PCI_LOOKUP_SUBSYSTEM | PCI_LOOKUP_DEVICE | PCI_LOOKUP_NO_NUMBERS,
                              (int)(vendor & 0xffff), (int)(device & 0xffff),
                              (int)(subsystem_vendor & 0xffff), (int)(subsystem_device & 0xffff));
    return finish(r, buf, len, saved);
}
