// LeakSanitizer suppressions compiled into every fuzz executable, so they hold wherever the
// executable runs (Fuzz/run.sh, a ClusterFuzzLite or OSS-Fuzz runner) without LSAN_OPTIONS or a
// suppressions file next to it. LSan asks for them through this weak hook at start-up.
//
// - udev_new: libpci 3.9.0's pci_id_hwdb_lookup calls udev_new() again on every lookup after
//   udev_hwdb_new() failed (no hwdb.bin on the host), leaking the previous struct udev. Not
//   DeviceBench's code; see Docs/fuzzing.md, "Coverage-guided ASan campaign".
// - swift_getTypeName: the Swift runtime caches every type name it renders (CodingKey
//   descriptions, RawRepresentable decoding) for the life of the process. With the runtime linked
//   statically (--static-swift-stdlib, as .clusterfuzzlite/build.sh links) LSan does not see the
//   cache's roots and reports each first rendering as a leak of a few bytes.
#include "LeakSuppressions.h"

const char *__lsan_default_suppressions(void) {
    return "leak:udev_new\n"
           "leak:swift_getTypeName\n";
}
