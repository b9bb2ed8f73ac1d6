#!/usr/bin/env bash
# Runs the libFuzzer targets: Fuzz/run.sh [SECONDS] [TARGET...]   (default 600 s, every target)
# COVERAGE_SECONDS (default SECONDS/3) sets the coverage-build phase; 0 skips it and goes straight
# to the ASan phase on the corpus already in Fuzz/corpus. FUZZ_TIMEOUT (default 60) is libFuzzer's
# -timeout per input: ASan with coverage runs an input 10-20 times slower than a release build, and
# a rig re-initialisation under ASan on a loaded machine took 13 s, which a 10 s limit reported as
# a hang (0.07 s in release). Bounded work per doorbell keeps a real hang far beyond 60 s.
#
# Two builds of the same executables, each in its own scratch path:
#   .build/coverage: -sanitize=fuzzer, several times faster, grows the corpus.
#   .build/asan:     -sanitize=fuzzer,address: memory errors in the unsafe-pointer code.
# The ASan build needs `-Xswiftc -sanitize=fuzzer,address`: SwiftPM passes each --sanitize as its
# own -sanitize=X flag in the order of a Swift Set (a different order in every swift-build
# process), and swiftc keeps only the last -sanitize=, so without the combined flag the Swift code
# got either ASan without coverage (libFuzzer loaded ~4k counters, from the C targets only) or
# coverage without ASan. The --sanitize flags stay for the C targets and the link.
# Before fuzzing, every executable's "Loaded 1 modules (N inline 8-bit counters)" line is checked
# (November 2026: ~69k in the coverage build, ~181k in the ASan build, whose ASan check branches get
# counters too): at least MIN_COUNTERS (default 30000) in each, the ASan build at least 90% of the
# coverage build; and every Swift module of the ASan build must call into ASan. Else exit 2.
# Per target: the coverage build grows the corpus (Fuzz/corpus/TARGET, seeded from
# Fixtures/fuzz/corpus/TARGET) for a third of SECONDS, then the ASan build re-runs every corpus
# input and mutates them for SECONDS. Crashes, timeouts and broken invariants land in
# Fuzz/artifacts/TARGET/; exit status 1 if there is any. LeakSanitizer's suppressions
# (third-party leaks) are compiled into the executables: Sources/LeakSuppressions.
set -euo pipefail
cd "$(dirname "$0")"
seconds="${1:-600}"; shift || true
coverage_seconds="${COVERAGE_SECONDS:-$((seconds / 3))}"
targets=("$@")
if [[ ${#targets[@]} -eq 0 ]]; then targets=(82599-pf 82599-vf nvme ena config-space lspci-dump host-profile nvme-driver ixgbevf-driver ena-driver vfio-user sysfs); fi
coverage_flags=(-c release --sanitize=fuzzer --scratch-path .build/coverage)
asan_flags=(-c release --sanitize=fuzzer --sanitize=address -Xswiftc -sanitize=fuzzer,address --scratch-path .build/asan)
swift build "${coverage_flags[@]}"
swift build "${asan_flags[@]}"
coverage="$(swift build "${coverage_flags[@]}" --show-bin-path)"
asan="$(swift build "${asan_flags[@]}" --show-bin-path)"
export SWIFT_BACKTRACE=enable=no

# Instrumented counters libFuzzer reports for an executable (one empty input, no corpus).
counters() {
    local log
    log="$("$1" -runs=0 2>&1 || true)"
    sed -n 's/^INFO: Loaded 1 modules *(\([0-9]*\) inline 8-bit counters).*/\1/p' <<<"$log"
}
min_counters="${MIN_COUNTERS:-30000}"
for t in "${targets[@]}"; do
    c="$(counters "$coverage/fuzz-$t")"
    a="$(counters "$asan/fuzz-$t")"
    echo "== fuzz-$t: ${c:-no} counters in the coverage build, ${a:-no} in the ASan build"
    if [[ -z "$c" || -z "$a" ]] || ((c < min_counters || a < min_counters || a < c * 9 / 10)); then
        echo "error: fuzz-$t is not coverage-instrumented (want >= $min_counters counters in each build," \
            "the ASan build >= 90% of the coverage build); libFuzzer would run blind." >&2
        exit 2
    fi
done
# Every Swift module of the ASan build must call into ASan (swiftc keeps one -sanitize=).
shopt -s nullglob
for dir in "$asan"/*.build; do
    objects=("$dir"/*.swift.o)
    [[ ${#objects[@]} -gt 0 ]] || continue
    calls="$(nm -u "${objects[@]}" 2>/dev/null | grep -c '__asan_' || true)"
    if ((calls == 0)); then
        echo "error: module $(basename "$dir" .build) of the ASan build has no ASan instrumentation." >&2
        exit 2
    fi
done
shopt -u nullglob
status=0
for t in "${targets[@]}"; do
    mkdir -p "corpus/$t" "artifacts/$t"
    cp -n "../Fixtures/fuzz/corpus/$t/"* "corpus/$t/" 2>/dev/null || true
    common=(-dict="dictionaries/$t.dict" -timeout="${FUZZ_TIMEOUT:-60}" -rss_limit_mb=4096 -max_len=8192 -print_final_stats=1
        -artifact_prefix="artifacts/$t/")
    if ((coverage_seconds > 0)); then
        echo "== fuzz-$t: coverage-guided for ${coverage_seconds}s"
        "$coverage/fuzz-$t" "corpus/$t" "${common[@]}" -max_total_time="$coverage_seconds" 2>&1 \
            | grep -E "INFO: Loaded 1 modules|^#[0-9]+.*DONE|stat::|ERROR|INVARIANT|SUMMARY" || true
    fi
    echo "== fuzz-$t: address sanitizer for ${seconds}s"
    "$asan/fuzz-$t" "corpus/$t" "${common[@]}" -max_total_time="$seconds" 2>&1 \
        | grep -E "INFO: Loaded 1 modules|^#[0-9]+.*(INITED|DONE)|stat::|ERROR|INVARIANT|SUMMARY" || true
    if ls "artifacts/$t"/crash-* "artifacts/$t"/timeout-* "artifacts/$t"/oom-* >/dev/null 2>&1; then status=1; fi
done
exit $status
