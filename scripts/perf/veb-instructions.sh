#!/usr/bin/env bash
# Instructions and simulated cache misses per frame of a veb workload, under callgrind.
#
#   scripts/perf/veb-instructions.sh [BINARY] [WORKLOAD] [REPETITIONS]
#   scripts/perf/veb-instructions.sh .build/release/devbench veb-64B-63vf 3
#
# Counts the emulated body of the workload (driver, model and the bench's send/receive loop),
# divides by the frames sent (32 per IxgbeTxRing.transmit call) and prints the top functions;
# then does the same for the C speed-of-light loop of the same run (32 frames per
# sol_switch_frames call), which touches as many rings and buffers as the emulated run.
# Deterministic per frame: the same binary gives the same figures on a loaded or an idle
# machine, which wall time on this shared 2-core host does not. The cache
# model is callgrind's (32 KiB L1, a 512 KiB last level to stand for L2), prefetches are not
# simulated. The bench alternates the emulated path and the C loop once per repetition, and
# callgrind simulates the cache for both even where it counts only one, so each repetition
# is made long (2 s of valgrind time, hundreds of rounds of every ring) for the refill after
# the other side's turn to stay negligible.
set -euo pipefail
binary=${1:-.build/release/devbench}
workload=${2:-veb-64B-1vf}
repetitions=${3:-3}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
# valgrind 3.19 cannot read Swift 6.3's DWARF 5: profile a copy without debug info.
objcopy --strip-debug "$binary" "$work/devbench"
profile() { # OUTPUT CLOSURE: callgrind, collecting only inside the bench closure named CLOSURE
    valgrind --tool=callgrind --callgrind-out-file="$1" --cache-sim=yes --D1=32768,8,64 --LL=524288,8,64 \
        --toggle-collect="*vebForwarding*$2" \
        "$work/devbench" bench --filter "$workload" --repetitions "$repetitions" --repetition-ms 2000 >/dev/null 2>&1
}
profile "$work/emulated" 'cfU_s6UInt64VSicfU_'
profile "$work/reference" 'cfU_s6UInt64VSicfU0_'
report() { # OUTPUT LABEL FRAME-CALLEE ROWS
    python3 "$(dirname "$0")/callgrind_report.py" "$1" "$2" "$3" 32 "$4" --all-events
}
report "$work/emulated" "$workload" IxgbeTxRingC8transmit 12
report "$work/reference" "$workload (C loop)" sol_switch_frames 0
