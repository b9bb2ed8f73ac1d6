#ifndef DEVICEBENCH_LEAK_SUPPRESSIONS_H
#define DEVICEBENCH_LEAK_SUPPRESSIONS_H

/// The suppressions LeakSanitizer applies in every fuzz executable (see LeakSuppressions.c).
const char *__lsan_default_suppressions(void);

#endif
