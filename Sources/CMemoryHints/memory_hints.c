/* Everything is inline in include/memory_hints.h; this file gives the C target a source. */
#include "memory_hints.h"
