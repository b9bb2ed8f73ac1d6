#!/usr/bin/env bash
# The interop harness, as CI runs it: the real Linux ixgbevf, ena and nvme drivers in a QEMU
# guest drive DeviceBench's functions over vfio-user (`devbench serve`).
#
#   scripts/interop/check.sh            # builds/uses the cached guest, two guest runs, asserts
#
# Run 1 serves the default profile's 82599 VF 0 (00:15.0), ENA (00:06.0), EBS (00:1e.0) and
# instance-store (00:1f.0) controllers to one guest, which runs every check (lspci, driver
# binding, MAC, link, ARP+ping to the bench's peer, NVMe identify/readback/throughput/reset,
# PCI reset) and writes a plaintext pattern to each namespace. When that session ends the bench
# crypto-erases the instance store. Run 2 boots a new guest that reads the pattern's block on
# the instance store and must find no plaintext. Run 3 serves the EBS controller alone to a
# guest whose RAM QEMU cannot share (no memfd): every device DMA is a DMA_READ/DMA_WRITE request
# that QEMU serves, and a pattern written through /dev/nvme0n1 must read back.
#
# Exit status 0 when every required check passed. The guest cache lives outside the repository
# (DEVBENCH_INTEROP_CACHE, default /var/cache/devicebench-interop); logs, pcaps and the server
# trace go to DEVBENCH_INTEROP_OUT (default $TMPDIR/devbench-interop).
set -euo pipefail
cd "$(dirname "$0")/../.."
CACHE=${DEVBENCH_INTEROP_CACHE:-/var/cache/devicebench-interop}
OUT=${DEVBENCH_INTEROP_OUT:-${TMPDIR:-/tmp}/devbench-interop}
DEVBENCH=${DEVBENCH:-.build/debug/devbench}
PATTERN=devbench-ci-$$
BLOCK=16

scripts/interop/build-guest.sh
[ -x "$DEVBENCH" ] || swift build --product devbench
rm -rf "$OUT" && mkdir -p "$OUT"
S="$CACHE/root/run/devbench/check-$$"
P="$CACHE/root/run/devbench/private-$$"
mkdir -p "$S"

"$DEVBENCH" serve --socket-directory "$S" --exit-when-idle --sessions 2 --seconds 1500 \
    --crypto-erase-after-session 00:1f.0 --pcap "$OUT/pcap" --trace "$OUT/serve.trace" >"$OUT/serve.log" 2>&1 &
server=$!
cleanup() {
    kill "$server" 2>/dev/null || true
    rm -rf "$S" "$P"
}
trap cleanup EXIT

sockets=(--socket "vf0=$S/00:15.0.sock" --socket "ena0=$S/00:06.0.sock"
    --socket "ebs=$S/00:1e.0.sock" --socket "store=$S/00:1f.0.sock")
# ixgbevf notices an FLR it did not ask for through its watchdog, at most every 10 s (as on
# hardware), so NIC resets get 15 s to recover.
args=(--timeout 900 --msg-timeout 60000
    --append "devbench.pattern=$PATTERN devbench.block=$BLOCK devbench.watchdog=800 devbench.reset-settle=15")

echo "== interop run 1: every check against the served functions"
set +e
scripts/interop/run-guest.sh "${sockets[@]}" "${args[@]}" --checks default --log "$OUT/guest1.log" >/dev/null 2>&1
run1=$?
echo "== interop run 2: the instance store after the bench crypto-erased it"
scripts/interop/run-guest.sh "${sockets[@]}" --timeout 900 --msg-timeout 60000 --checks lspci,nvme-erased \
    --append "devbench.pattern=$PATTERN devbench.block=$BLOCK devbench.nvme-ids=1d0f:cd01" \
    --log "$OUT/guest2.log" >/dev/null 2>&1
run2=$?
wait "$server"
echo "== interop run 3: the EBS controller with guest RAM QEMU cannot share (DMA_READ/DMA_WRITE)"
mkdir -p "$P"
"$DEVBENCH" serve --function 00:1e.0 --socket-directory "$P" --exit-when-idle --seconds 600 >"$OUT/serve-private.log" 2>&1 &
server=$!
scripts/interop/run-guest.sh --socket "ebs=$P/00:1e.0.sock" --private-memory --timeout 600 --msg-timeout 60000 \
    --checks lspci,nvme-id,nvme-readback --append "devbench.pattern=$PATTERN-private devbench.block=24 devbench.nvme-ids=1d0f:8061" \
    --log "$OUT/guest3.log" >/dev/null 2>&1
run3=$?
wait "$server"
rm -rf "$P"
set -e

grep -h "DEVBENCH-CHECK\|DEVBENCH-LSPCI\|DEVBENCH-DONE" "$OUT/guest1.log" "$OUT/guest2.log" "$OUT/guest3.log" | sed 's/^/  /'
grep -E "crypto-erased|answered|frames$|session\(s\)" "$OUT/serve.log" | sed 's/^/  serve: /'
grep -E "session\(s\)" "$OUT/serve-private.log" | sed 's/^/  serve (private memory): /'

failures=0
require() { # log, check name, bdf (empty: any), what must appear in its line
    local line
    line=$(grep "^DEVBENCH-CHECK $2 PASS" "$1" | grep -- "${3:-}" | grep -- "${4:-}" | head -1)
    if [ -z "$line" ]; then
        echo "interop: MISSING $2 ${3:-} ${4:-} in $(basename "$1")"
        failures=$((failures + 1))
    fi
}
g1=$OUT/guest1.log
g2=$OUT/guest2.log
grep -q "DEVBENCH-LSPCI .*\[8086:10ed\]" "$g1" || { echo "interop: guest lspci lacks the 82599 VF"; failures=$((failures + 1)); }
grep -q "DEVBENCH-LSPCI .*Elastic Network Adapter.*\[1d0f:ec20\]" "$g1" || { echo "interop: guest lspci lacks the ENA"; failures=$((failures + 1)); }
grep -q "DEVBENCH-LSPCI .*NVMe EBS Controller \[1d0f:8061\]" "$g1" || { echo "interop: guest lspci lacks the EBS controller"; failures=$((failures + 1)); }
grep -q "DEVBENCH-LSPCI .*\[1d0f:cd01\]" "$g1" || { echo "interop: guest lspci lacks the instance store"; failures=$((failures + 1)); }
require "$g1" ixgbevf-bound
require "$g1" ixgbevf-mac "" "mac=02:00:00:28:00:01"
require "$g1" ixgbevf-link
require "$g1" ixgbevf-traffic "" "ping=ok"
require "$g1" ena-bound
require "$g1" ena-mac "" "mac=06:1d:0f:ec:20:06"
require "$g1" ena-link
require "$g1" ena-traffic "" "ping=ok"
require "$g1" nvme-id "" "model=Amazon_Elastic_Block_Store"
require "$g1" nvme-id "" "model=Amazon_EC2_NVMe_Instance_Storage"
require "$g1" nvme-readback "" "pattern=$PATTERN"
require "$g1" nvme-reset
for bdf in 0000:00:01.0 0000:00:02.0 0000:00:03.0 0000:00:04.0; do require "$g1" pci-reset "bdf=$bdf"; done
require "$g2" nvme-erased "" "pattern=$PATTERN"
g3=$OUT/guest3.log
require "$g3" nvme-id "" "model=Amazon_Elastic_Block_Store"
require "$g3" nvme-readback "" "pattern=$PATTERN-private"
grep -qE "00:1e.0: .* [1-9][0-9]* DMA_READ/DMA_WRITE requests" "$OUT/serve-private.log" \
    || { echo "interop: the private-memory run made no DMA_READ/DMA_WRITE requests"; failures=$((failures + 1)); }
grep -q "00:1f.0: crypto-erased" "$OUT/serve.log" || { echo "interop: the bench did not crypto-erase the store"; failures=$((failures + 1)); }
grep -q "peer 169.254.101.2 answered [1-9]" "$OUT/serve.log" || { echo "interop: nothing reached the 82599 wire's peer"; failures=$((failures + 1)); }

echo "interop: run 1 exit $run1, run 2 exit $run2, run 3 exit $run3, $failures required checks missing (logs in $OUT)"
[ "$failures" -eq 0 ]
