#!/usr/bin/env bash
# Checks an $OUT that build.sh filled, the way a runner would use it: from another directory,
# with no Swift toolchain or Fuzz/ tree in reach, each fuzz-<name> must load only libraries from
# the system or $OUT/lib, be coverage-instrumented (MIN_COUNTERS, as Fuzz/run.sh checks), and run
# every input of its seed corpus zip with its dictionary and options without a crash, a leak or
# a broken invariant.
#   .clusterfuzzlite/check.sh /tmp/cflite-out [fuzz-nvme ...]
set -euo pipefail
out="$(cd "${1:?usage: check.sh OUT [FUZZER...]}" && pwd)"; shift
fuzzers=("$@")
if [[ ${#fuzzers[@]} -eq 0 ]]; then
    for f in "$out"/fuzz-*; do [[ -x "$f" && ! -d "$f" ]] && fuzzers+=("$(basename "$f")"); done
fi
scratch="$(mktemp -d)"
trap 'rm -rf "$scratch"' EXIT
cd "$scratch"
export SWIFT_BACKTRACE=enable=no
min_counters="${MIN_COUNTERS:-30000}"
status=0
for fuzzer in "${fuzzers[@]}"; do
    binary="$out/$fuzzer"
    if env -u LD_LIBRARY_PATH ldd "$binary" | grep -E 'not found|/opt/swift|\.build' >&2; then
        echo "$fuzzer: FAIL (a library outside the system and \$OUT/lib)"; status=1; continue
    fi
    mkdir -p "seeds-$fuzzer"
    unzip -q -o "$out/${fuzzer}_seed_corpus.zip" -d "seeds-$fuzzer"
    seeds=$(find "seeds-$fuzzer" -type f | wc -l)
    options=(-dict="$out/$fuzzer.dict")
    while IFS=' =' read -r key value; do
        [[ -n "$key" && "$key" != "["* ]] && options+=("-$key=$value")
    done <"$out/$fuzzer.options"
    log="$scratch/$fuzzer.log"
    if ! env -u LD_LIBRARY_PATH "$binary" "${options[@]}" -runs=0 "seeds-$fuzzer" >"$log" 2>&1; then
        echo "$fuzzer: FAIL (see below)"; tail -20 "$log"; status=1; continue
    fi
    counters="$(sed -n 's/^INFO: Loaded 1 modules *(\([0-9]*\) inline 8-bit counters).*/\1/p' "$log")"
    ran="$(sed -n 's/^#\([0-9]*\)[[:space:]]*INITED.*/\1/p' "$log")"
    if [[ -z "$counters" ]] || ((counters < min_counters)); then
        echo "$fuzzer: FAIL (${counters:-no} coverage counters, want >= $min_counters)"; status=1; continue
    fi
    echo "$fuzzer: ok ($seeds seeds, $ran inputs run, $counters counters, $(du -h "$binary" | cut -f1))"
done
exit $status
