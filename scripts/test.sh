#!/usr/bin/env bash
# The test command: setup, generated-code freshness, lint, then every test (warnings are
# errors in every first-party target), then the CLI's main job, the conformance run and
# the fuzz regression inputs plus a bounded campaign per fuzz target, and the interop harness
# (the stock Linux drivers in a QEMU guest drive the served functions).
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh

echo "== generated register tables are up to date"
swift build --product devspec-gen
.build/debug/devspec-gen --check

echo "== lint"
scripts/lint.sh

echo "== tests"
swift test --parallel

echo "== devbench (default profile) and conformance"
swift build --product devbench
.build/debug/devbench > /dev/null
.build/debug/devbench conform > /dev/null

echo "== fuzz: regression inputs and a bounded deterministic campaign per target"
for input in $(find Fixtures/fuzz/regressions -name '*.bin' | sort); do
    .build/debug/devbench fuzz --replay "$input" > /dev/null
done
for target in $(.build/debug/devbench fuzz --list | awk '{print $1}'); do
    .build/debug/devbench fuzz --target "$target" --seed 1 --iterations 40 --output "${TMPDIR:-/tmp}" | tail -1
done
echo "== interop: real Linux drivers in a QEMU guest against devbench serve (Docs/interop.md)"
scripts/interop/check.sh
echo "all checks passed"
