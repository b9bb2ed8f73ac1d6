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
python3 - "$@" <<'PY'
import re, subprocess, sys
path, workload, callee, shown = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4])
lines = open(path).read().splitlines()
names, frames = {}, 0
for i, line in enumerate(lines):
    m = re.match(r'c?fn=\((\d+)\)(?: (.*))?', line)
    if not m:
        continue
    if m.group(2):
        names[m.group(1)] = m.group(2)
    if line.startswith('cfn=') and callee in names.get(m.group(1), ''):
        frames += 32 * int(re.match(r'calls=(\d+)', lines[i + 1]).group(1))
events = next(l for l in lines if l.startswith('events:')).split()[1:]
totals = list(map(int, [l for l in lines if l.startswith(('totals:', 'summary:'))][-1].split()[1:]))
if frames == 0:
    sys.exit(f'{workload}: no frames counted')
print(f'{workload}: {frames} frames; per frame: ' + '  '.join(f'{e} {v / frames:.1f}' for e, v in zip(events, totals)))
report = subprocess.run(['callgrind_annotate', path], capture_output=True, text=True).stdout.splitlines()
start = next(i for i, l in enumerate(report) if l.rstrip().endswith('file:function'))
rows = [l for l in report[start + 2:] if l.strip()][:shown]
demangle = subprocess.run(['swift', 'demangle', '--simplified'], input='\n'.join(rows), capture_output=True, text=True).stdout
for row in demangle.splitlines():
    ir = int(row.split()[0].replace(',', ''))
    function = row.split(':', 1)[1].rsplit(' [', 1)[0] if ':' in row else row
    print(f'{ir / frames:8.1f}  {function[:110]}')
PY
}
report "$work/emulated" "$workload" IxgbeTxRingC8transmit 12
report "$work/reference" "$workload (C loop)" sol_switch_frames 0
