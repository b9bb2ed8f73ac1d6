"""Per-frame figures from a callgrind output file, shared by the perf scripts.

    python3 callgrind_report.py OUT LABEL CALLEE-PATTERN FRAMES-PER-CALL ROWS [--all-events] [--suffix]

Frames are FRAMES-PER-CALL times the calls to the function whose (mangled) name contains
CALLEE-PATTERN (ends with it, with --suffix: specialisations of it are then not counted). Prints LABEL with the frame count and the instructions (or, with
--all-events, every event) per frame, then the top ROWS functions by self instructions per
frame.
"""
import re
import subprocess
import sys


def frames_of(lines, callee, per_call, suffix):
    names, frames = {}, 0
    for i, line in enumerate(lines):
        m = re.match(r'c?fn=\((\d+)\)(?: (.*))?', line)
        if not m:
            continue
        if m.group(2):
            names[m.group(1)] = m.group(2)
        name = names.get(m.group(1), '')
        if line.startswith('cfn=') and (name.endswith(callee) if suffix else callee in name):
            frames += per_call * int(re.match(r'calls=(\d+)', lines[i + 1]).group(1))
    return frames


def main():
    path, label, callee, per_call, shown = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4]), int(sys.argv[5])
    all_events = '--all-events' in sys.argv[6:]
    lines = open(path).read().splitlines()
    frames = frames_of(lines, callee, per_call, '--suffix' in sys.argv[6:])
    if frames == 0:
        sys.exit(f'{label}: no frames counted')
    events = next(l for l in lines if l.startswith('events:')).split()[1:]
    totals = list(map(int, [l for l in lines if l.startswith(('totals:', 'summary:'))][-1].split()[1:]))
    if all_events:
        print(f'{label}: {frames} frames; per frame: ' + '  '.join(f'{e} {v / frames:.1f}' for e, v in zip(events, totals)))
    else:
        print(f'{label}: {frames} frames; {totals[0] / frames:.1f} instructions per frame')
    if shown == 0:
        return
    report = subprocess.run(['callgrind_annotate', path], capture_output=True, text=True).stdout.splitlines()
    start = next(i for i, l in enumerate(report) if l.rstrip().endswith('file:function'))
    rows = [l for l in report[start + 2:] if re.match(r'\s*[0-9,]+ ', l)][:shown]
    demangled = subprocess.run(['swift', 'demangle', '--simplified'], input='\n'.join(rows), capture_output=True, text=True)
    for row in demangled.stdout.splitlines():
        ir = int(row.split()[0].replace(',', ''))
        function = row.split(':', 1)[1].rsplit(' [', 1)[0] if ':' in row else row
        print(f'{ir / frames:8.1f}  {function[:120]}')


main()
