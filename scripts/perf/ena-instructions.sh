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
python3 - "$work/out" "$workload" "$shown" <<'PY'
import re, subprocess, sys
path, workload, shown = sys.argv[1], sys.argv[2], int(sys.argv[3])
lines = open(path).read().splitlines()
names, frames = {}, 0
for i, line in enumerate(lines):
    m = re.match(r'c?fn=\((\d+)\)(?: (.*))?', line)
    if not m:
        continue
    if m.group(2):
        names[m.group(1)] = m.group(2)
    if line.startswith('cfn=') and names.get(m.group(1), '').endswith('WireC16transmitFromPort5batchySRySWG_tF'):
        frames += 32 * int(re.match(r'calls=(\d+)', lines[i + 1]).group(1))
totals = int([l for l in lines if l.startswith(('totals:', 'summary:'))][-1].split()[1])
if frames == 0:
    sys.exit(f'{workload}: no frames counted')
print(f'{workload}: {frames} frames; {totals / frames:.1f} instructions per frame')
report = subprocess.run(['callgrind_annotate', path], capture_output=True, text=True).stdout.splitlines()
start = next(i for i, l in enumerate(report) if l.rstrip().endswith('file:function'))
rows = [l for l in report[start + 2:] if re.match(r'\s*[0-9,]+ ', l)][:shown]
demangle = subprocess.run(['swift', 'demangle', '--simplified'], input='\n'.join(rows), capture_output=True, text=True).stdout
for row in demangle.splitlines():
    ir = int(row.split()[0].replace(',', ''))
    function = row.split(':', 1)[1].rsplit(' [', 1)[0] if ':' in row else row
    print(f'{ir / frames:8.1f}  {function[:120]}')
PY
