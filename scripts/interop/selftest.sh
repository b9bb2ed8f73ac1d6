#!/usr/bin/env bash
# Self-test of the guest side of the interop harness, without a vfio-user server:
#   1. build-guest.sh (no-op when cached)
#   2. boot with no devices: lspci PASS, every other check SKIP, DEVBENCH-DONE
#   3. QEMU's own nvme + e1000e as stand-ins (ids overridden on the kernel command line):
#      every NIC/NVMe check PASS, including readback, throughput, controller and PCI resets
#   4. nvme-erased with the pattern just written: must FAIL (plaintext found), run-guest exit 1
#   5. nvme-erased with another pattern: PASS
#   6. QEMU accepts the vfio-user-pci device and speaks vfio-user on the socket (a Python
#      listener reads QEMU's VERSION message; QEMU then fails, as no server answers)
# Stand-ins only exercise the checks; the harness itself attaches devices with vfio-user-pci.
# Takes ~1.5 min once the cache exists. Prints "N passed, N failed".
set -uo pipefail
HERE=$(cd "$(dirname "$0")" && pwd)
CACHE=${DEVBENCH_INTEROP_CACHE:-/var/cache/devicebench-interop}
ROOT=$CACHE/root
pass=0 fail=0
ok() { echo "selftest: PASS $*"; pass=$((pass+1)); }
ko() { echo "selftest: FAIL $*"; fail=$((fail+1)); }
logs=$(mktemp -d)
trap 'rm -rf "$logs" "$ROOT/tmp/selftest-nvme.img"' EXIT

"$HERE/build-guest.sh" || { echo "selftest: build-guest.sh failed"; echo "0 passed, 1 failed"; exit 1; }

run() { # log expected-rc args...
  local l=$1 want=$2; shift 2
  local t0=$SECONDS
  "$HERE/run-guest.sh" --timeout 240 --log "$logs/$l.log" "$@" >/dev/null 2>&1
  local rc=$?
  grep -E '^DEVBENCH-(CHECK|FAIL|DONE)' "$logs/$l.log" | sed "s/^/  [$l] /"
  if [ $rc = "$want" ]; then ok "$l (rc=$rc, $((SECONDS-t0)) s)"; else ko "$l (rc=$rc, want $want)"; fi
}
expect_line() { # log regex
  if grep -qE "$2" "$logs/$1.log"; then ok "$1: /$2/"; else ko "$1: no line /$2/"; fi
}
expect_none() {
  if grep -qE "$2" "$logs/$1.log"; then ko "$1: unexpected /$2/"; else ok "$1: none /$2/"; fi
}

run nodev 0
expect_line nodev '^DEVBENCH-CHECK lspci PASS'
expect_line nodev '^DEVBENCH-CHECK nvme-readback SKIP no-device'
expect_line nodev '^DEVBENCH-CHECK ixgbevf SKIP no-device'
expect_none nodev '^DEVBENCH-CHECK [^ ]+ FAIL'

truncate -s 64M "$ROOT/tmp/selftest-nvme.img"
SI=(--append 'devbench.nvme-ids=1b36:0010 devbench.ixgbevf-ids=8086:10d3 devbench.ixgbevf-driver=e1000e devbench.pattern=selftest devbench.block=16'
    --qemu-arg -drive --qemu-arg file=/tmp/selftest-nvme.img,if=none,id=d0,format=raw
    --qemu-arg -device --qemu-arg nvme,drive=d0,serial=selftest1 --qemu-arg -device --qemu-arg e1000e)
run standin 0 "${SI[@]}"
for c in ixgbevf-bound ixgbevf-mac ixgbevf-link ixgbevf-traffic nvme-id nvme-readback nvme-throughput nvme-reset pci-reset; do
  expect_line standin "^DEVBENCH-CHECK $c PASS"
done
expect_line standin '^DEVBENCH-LSPCI .*\[1b36:0010\]'

SI[1]='devbench.nvme-ids=1b36:0010 devbench.pattern=selftest devbench.block=16'
run erased-same 1 --checks nvme-erased "${SI[@]}"
expect_line erased-same '^DEVBENCH-CHECK nvme-erased FAIL .*plaintext-present'
SI[1]='devbench.nvme-ids=1b36:0010 devbench.pattern=another devbench.block=16'
run erased-other 0 --checks nvme-erased "${SI[@]}"

sock="$ROOT/run/devbench/selftest-$$.sock"
python3 - "$sock" >"$logs/peek.out" 2>&1 <<'EOF' &
import os, socket, struct, sys
p = sys.argv[1]
s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM); s.bind(p); s.listen(1); s.settimeout(120)
c, _ = s.accept(); c.settimeout(30)
d = c.recv(65536)
_, cmd, size, _, _ = struct.unpack_from('<HHIII', d)
print("cmd=%d size=%d version=%d.%d %s" % ((cmd, size) + struct.unpack_from('<HH', d, 16) + (d[20:size].rstrip(b'\0').decode(),)))
c.close(); os.unlink(p)
EOF
peek=$!
"$HERE/run-guest.sh" --timeout 60 --msg-timeout 2000 --socket peek0="$sock" --log "$logs/peek.log" >/dev/null 2>&1
wait $peek
if grep -q '^cmd=1 .*capabilities' "$logs/peek.out"; then ok "vfio-user-pci connects: $(cat "$logs/peek.out")"; else ko "vfio-user-pci: $(cat "$logs/peek.out")"; fi

echo "$pass passed, $fail failed"
[ $fail = 0 ]
