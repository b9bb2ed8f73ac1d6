#!/usr/bin/env bash
# Runs the libFuzzer targets: Fuzz/run.sh [--asan] [SECONDS] [TARGET...]
# Builds Fuzz/ with -sanitize=fuzzer (and address with --asan), then runs each target for
# SECONDS (default 60) on a working copy of its seed corpus (Fixtures/fuzz/corpus/TARGET) with
# its dictionary. Crashes and invariant failures land in Fuzz/artifacts/TARGET/.
set -euo pipefail
cd "$(dirname "$0")"
sanitizers=(--sanitize=fuzzer)
if [[ "${1:-}" == "--asan" ]]; then sanitizers+=(--sanitize=address); shift; fi
seconds="${1:-60}"; shift || true
targets=("$@")
if [[ ${#targets[@]} -eq 0 ]]; then targets=(82599-pf 82599-vf nvme config-space lspci-dump host-profile); fi
swift build -c release "${sanitizers[@]}"
bin="$(swift build -c release "${sanitizers[@]}" --show-bin-path)"
export SWIFT_BACKTRACE=enable=no
status=0
for t in "${targets[@]}"; do
    work="$(mktemp -d)"
    cp -r "../Fixtures/fuzz/corpus/$t/." "$work/" 2>/dev/null || true
    mkdir -p "artifacts/$t"
    echo "== fuzz-$t for ${seconds}s"
    "$bin/fuzz-$t" "$work" -dict="dictionaries/$t.dict" -max_total_time="$seconds" -timeout=10 -rss_limit_mb=4096 \
        -print_final_stats=1 -artifact_prefix="artifacts/$t/" 2>&1 | grep -E "^#[0-9]+.*(DONE|pulse)|stat::|ERROR|INVARIANT|SUMMARY" || true
    if ls "artifacts/$t"/crash-* "artifacts/$t"/timeout-* >/dev/null 2>&1; then status=1; fi
    rm -rf "$work"
done
exit $status
