#!/usr/bin/env bash
# Instructions and simulated cache misses per frame of a veb workload, under callgrind.
#
#   scripts/perf/veb-instructions.sh [BINARY] [WORKLOAD] [REPETITIONS]
#   scripts/perf/veb-instructions.sh .build/release/devbench veb-64B-1vf 40
#   scripts/perf/veb-instructions.sh .build/release/devbench veb-64B-63vf 1200
#
# Counts only the emulated body of the workload (driver, model and the bench's send/receive
# loop; not the C reference loop), divides by the frames sent (32 per IxgbeTxRing.transmit
# call), and prints the top functions. Deterministic: the same binary gives the same counts on
# a loaded or an idle machine, which wall time on this shared 2-core host does not. The cache
# model is callgrind's (32 KiB L1, a 512 KiB last level to stand for L2), prefetches are not
# simulated. Under valgrind a repetition is one batch, so REPETITIONS is batches; 63 VFs need
# about 1200 to go round every VF's ring a few times.
set -euo pipefail
binary=${1:-.build/release/devbench}
workload=${2:-veb-64B-1vf}
repetitions=${3:-40}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
# valgrind 3.19 cannot read Swift 6.3's DWARF 5: profile a copy without debug info.
objcopy --strip-debug "$binary" "$work/devbench"
valgrind --tool=callgrind --callgrind-out-file="$work/out" --cache-sim=yes --D1=32768,8,64 --LL=524288,8,64 \
    --toggle-collect='*vebForwarding*cfU_s6UInt64VSicfU_' \
    "$work/devbench" bench --filter "$workload" --repetitions "$repetitions" >/dev/null 2>&1
python3 - "$work/out" "$workload" <<'PY'
import re, subprocess, sys
path, workload = sys.argv[1], sys.argv[2]
lines = open(path).read().splitlines()
names, frames = {}, 0
for i, line in enumerate(lines):
    m = re.match(r'c?fn=\((\d+)\)(?: (.*))?', line)
    if not m:
        continue
    if m.group(2):
        names[m.group(1)] = m.group(2)
    if line.startswith('cfn=') and 'IxgbeTxRingC8transmit' in names.get(m.group(1), ''):
        frames += 32 * int(re.match(r'calls=(\d+)', lines[i + 1]).group(1))
events = next(l for l in lines if l.startswith('events:')).split()[1:]
totals = list(map(int, [l for l in lines if l.startswith(('totals:', 'summary:'))][-1].split()[1:]))
if frames == 0:
    sys.exit(f'{workload}: no frames counted')
print(f'{workload}: {frames} frames; per frame: ' + '  '.join(f'{e} {v / frames:.1f}' for e, v in zip(events, totals)))
report = subprocess.run(['callgrind_annotate', path], capture_output=True, text=True).stdout.splitlines()
start = next(i for i, l in enumerate(report) if l.rstrip().endswith('file:function'))
rows = [l for l in report[start + 2:] if l.strip()][:12]
demangle = subprocess.run(['swift', 'demangle', '--simplified'], input='\n'.join(rows), capture_output=True, text=True).stdout
for row in demangle.splitlines():
    ir = int(row.split()[0].replace(',', ''))
    function = row.split(':', 1)[1].rsplit(' [', 1)[0] if ':' in row else row
    print(f'{ir / frames:8.1f}  {function[:110]}')
PY
