#!/usr/bin/env bash
# Instructions per frame of an ENA loopback workload, under callgrind.
#
#   scripts/perf/ena-instructions.sh [BINARY] [WORKLOAD] [ROWS]
#   scripts/perf/ena-instructions.sh .build/release/devbench ena-64B-tx-rx-llq 30
#
# Counts the emulated body of the workload (driver, device, wire, the bench's batch loop; the
# bench closure is toggled on, so setup and the C loop are not counted), divides by the frames
# (32 per `Wire.transmitFromPort(batch:)`, one burst per batch) and prints the top functions (self cost).
# Deterministic: the same binary gives the same figures on a loaded or an idle machine.
# Set KEEP=DIR to keep the callgrind output (for callgrind_annotate --inclusive=yes or
# --dump-instr=yes work).
set -euo pipefail
binary=${1:-.build/release/devbench}
workload=${2:-ena-64B-tx-rx}
shown=${3:-25}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
# valgrind 3.19 cannot read Swift 6.3's DWARF 5: profile a copy without debug info.
objcopy --strip-debug "$binary" "$work/devbench"
valgrind --tool=callgrind --callgrind-out-file="$work/out" --dump-instr=yes \
    --toggle-collect='*enaTransmitReceive*cfU_s6UInt64VSicfU_Tm' \
    "$work/devbench" bench --filter "$workload" --repetitions 1 --repetition-ms 1000 >/dev/null 2>&1
if [ -n "${KEEP:-}" ]; then mkdir -p "$KEEP" && cp "$work/out" "$work/devbench" "$KEEP/"; fi
python3 "$(dirname "$0")/callgrind_report.py" "$work/out" "$workload" \
    'WireC16transmitFromPort5batchySRySWG_tF' 32 "$shown" --suffix
