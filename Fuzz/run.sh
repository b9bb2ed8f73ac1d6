#!/usr/bin/env bash
# Runs the libFuzzer targets: Fuzz/run.sh [SECONDS] [TARGET...]   (default 600 s, every target)
#
# Two builds of the same executables, each in its own scratch path (a clean one: a build dir
# first built without sanitizers keeps uninstrumented objects, and libFuzzer runs blind; the
# "Loaded 1 modules (N inline 8-bit counters)" line should show ~69k counters (November 2026), not ~4k):
#   .build/coverage: -sanitize=fuzzer, several times faster, grows the corpus.
#   .build/asan:     -sanitize=fuzzer,address: memory errors in the unsafe-pointer code.
# Per target: the coverage build grows the corpus (Fuzz/corpus/TARGET, seeded from
# Fixtures/fuzz/corpus/TARGET) for a third of SECONDS, then the ASan build re-runs every corpus
# input and mutates them for SECONDS. Crashes, timeouts and broken invariants land in
# Fuzz/artifacts/TARGET/; exit status 1 if there is any.
set -euo pipefail
cd "$(dirname "$0")"
seconds="${1:-600}"; shift || true
targets=("$@")
if [[ ${#targets[@]} -eq 0 ]]; then targets=(82599-pf 82599-vf nvme ena config-space lspci-dump host-profile nvme-driver ixgbevf-driver ena-driver vfio-user); fi
swift build -c release --sanitize=fuzzer --scratch-path .build/coverage
swift build -c release --sanitize=fuzzer --sanitize=address --scratch-path .build/asan
coverage="$(swift build -c release --sanitize=fuzzer --scratch-path .build/coverage --show-bin-path)"
asan="$(swift build -c release --sanitize=fuzzer --sanitize=address --scratch-path .build/asan --show-bin-path)"
export SWIFT_BACKTRACE=enable=no
status=0
for t in "${targets[@]}"; do
    mkdir -p "corpus/$t" "artifacts/$t"
    cp -n "../Fixtures/fuzz/corpus/$t/"* "corpus/$t/" 2>/dev/null || true
    common=(-dict="dictionaries/$t.dict" -timeout=10 -rss_limit_mb=4096 -max_len=8192 -print_final_stats=1
        -artifact_prefix="artifacts/$t/")
    echo "== fuzz-$t: coverage-guided for $((seconds / 3))s"
    "$coverage/fuzz-$t" "corpus/$t" "${common[@]}" -max_total_time="$((seconds / 3))" 2>&1 \
        | grep -E "INFO: Loaded 1 modules|^#[0-9]+.*DONE|stat::|ERROR|INVARIANT|SUMMARY" || true
    echo "== fuzz-$t: address sanitizer for ${seconds}s"
    "$asan/fuzz-$t" "corpus/$t" "${common[@]}" -max_total_time="$seconds" 2>&1 \
        | grep -E "INFO: Loaded 1 modules|^#[0-9]+.*(INITED|DONE)|stat::|ERROR|INVARIANT|SUMMARY" || true
    if ls "artifacts/$t"/crash-* "artifacts/$t"/timeout-* "artifacts/$t"/oom-* >/dev/null 2>&1; then status=1; fi
done
exit $status
