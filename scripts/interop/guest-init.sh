#!/bin/sh
# /init of the interop guest (busybox sh). Packed into initramfs.cpio.gz by build-guest.sh.
# Loads nvme/ixgbevf/ena, runs the checks named on the kernel command line and prints one
# machine-readable line per check on the serial console:
#   DEVBENCH-CHECK <name> <PASS|FAIL|SKIP> [key=value ...]
# plus DEVBENCH-LSPCI <lspci -nn line>, DEVBENCH-INFO ..., DEVBENCH-FAIL <names> (only when a
# check failed) and finally DEVBENCH-DONE pass=N fail=N skip=N, then powers off.
# Kernel command line parameters (all optional):
#   devbench.checks=LIST     comma list, default "default" =
#                            lspci,ixgbevf,ena,nvme-id,nvme-readback,nvme-throughput,nvme-reset,pci-reset
#                            also: nvme-erased, nvme (= nvme-id,readback,throughput,reset), net (= ixgbevf,ena), dmesg
#   devbench.pattern=WORD    (no spaces) plaintext marker written by nvme-readback / looked for by nvme-erased (default devbench)
#   devbench.block=N         4 KiB block index of the pattern on each namespace (default 8)
#   devbench.tput-mib=N      MiB written then read by nvme-throughput (default 4), from devbench.tput-offset-mib (default 1)
#   devbench.settle=S        at most S seconds to wait for driver probe after loading modules (default 10)
#   devbench.linkwait=S      seconds to wait for a NIC's operstate to become up (default 5)
#   devbench.reset-settle=S  seconds to let a NIC driver recover after the pci-reset (default 3)
#   devbench.watchdog=S      power off with DEVBENCH-FAIL watchdog after S seconds (default 240)
#   devbench.nvme-ids=V:D,.. devbench.ixgbevf-ids=.. devbench.ixgbevf-driver=.. devbench.ena-ids=..
#   devbench.ena-driver=..   ids/driver each family looks for: only to develop the checks on
#                            QEMU's own devices (selftest.sh); defaults are DeviceBench's ids
# Packets sent by the NIC checks go only to the emulated device (no host network exists):
# link-local 169.254.101.1/24 (ixgbevf) or 169.254.102.1/24 (ena) -> .2, the peer that
# `devbench serve` puts on each wire (82599 port first, then the ENA's): ARP, then ping.
export PATH=/usr/sbin:/usr/bin:/sbin:/bin
mount -t proc proc /proc
mount -t sysfs sysfs /sys
mount -t devtmpfs devtmpfs /dev 2>/dev/null
mkdir -p /tmp /run && mount -t tmpfs tmpfs /tmp
echo   # end the firmware's last console line

param() { # $1 name, $2 default
  for w in $(cat /proc/cmdline); do
    case "$w" in "devbench.$1="*) echo "${w#*=}"; return ;; esac
  done
  echo "$2"
}
CHECKS=$(param checks default)
PATTERN=$(param pattern devbench)
BLOCK=$(param block 8)
TPUT_MIB=$(param tput-mib 4)
TPUT_OFF=$(param tput-offset-mib 1)
SETTLE=$(param settle 10)
LINKWAIT=$(param linkwait 5)
WATCHDOG=$(param watchdog 240)
RESET_SETTLE=$(param reset-settle 3)

# busybox sh runs its own applets before $PATH: name coreutils dd (O_DIRECT, rate line) explicitly.
DD=/usr/bin/dd; [ -x $DD ] || DD=dd
uptime_s() { cut -d' ' -f1 /proc/uptime; }
say() { echo "$*"; }
NPASS=0 NFAIL=0 NSKIP=0 FAILED=""
check() { # name status detail...
  n=$1 st=$2; shift 2
  say "DEVBENCH-CHECK $n $st $*"
  case "$st" in
    PASS) NPASS=$((NPASS+1)) ;;
    FAIL) NFAIL=$((NFAIL+1)); FAILED="$FAILED $n" ;;
    *) NSKIP=$((NSKIP+1)) ;;
  esac
}

( sleep "$WATCHDOG"; echo "DEVBENCH-FAIL watchdog ${WATCHDOG}s"; echo "DEVBENCH-DONE watchdog"; poweroff -f ) &
WDPID=$!

say "DEVBENCH-INFO start uptime=$(uptime_s) kernel=$(uname -r) checks=$CHECKS"
for m in $(cat /etc/devbench-modules); do
  name=$(basename "$m" .ko)
  if out=$(insmod "$m" 2>&1); then :; else
    case "$out" in *"File exists"*) ;; *) say "DEVBENCH-INFO insmod $name failed: $out" ;; esac
  fi
done

# Expand the check list.
LIST=""
for c in $(echo "$CHECKS" | tr ',' ' '); do
  case "$c" in
    default|all) LIST="$LIST lspci ixgbevf ena nvme-id nvme-readback nvme-throughput nvme-reset pci-reset" ;;
    nvme) LIST="$LIST nvme-id nvme-readback nvme-throughput nvme-reset" ;;
    net) LIST="$LIST ixgbevf ena" ;;
    *) LIST="$LIST $c" ;;
  esac
done

# PCI functions by id: prints bdfs of vendor:device pairs given as arguments (e.g. 8086:10ed).
pci_find() {
  for d in /sys/bus/pci/devices/*; do
    [ -e "$d/vendor" ] || continue
    id="$(sed 's/^0x//' "$d/vendor"):$(sed 's/^0x//' "$d/device")"
    for want in "$@"; do [ "$id" = "$want" ] && basename "$d"; done
  done
}
drv_of() { [ -L "/sys/bus/pci/devices/$1/driver" ] && basename "$(readlink "/sys/bus/pci/devices/$1/driver")" || echo none; }
# Which vendor:device ids each check family looks for, and the driver it expects. Overridable
# only to develop the checks against QEMU's own devices (e.g. devbench.nvme-ids=1b36:0010,
# devbench.ixgbevf-ids=8086:10d3 devbench.ixgbevf-driver=e1000e); the harness uses the defaults.
NVME_IDS=$(param nvme-ids 1d0f:8061,1d0f:cd00,1d0f:cd01 | tr ',' ' ')
IXGBEVF_IDS=$(param ixgbevf-ids 8086:10ed | tr ',' ' ')
IXGBEVF_DRV=$(param ixgbevf-driver ixgbevf)
ENA_IDS=$(param ena-ids 1d0f:ec20 | tr ',' ' ')
ENA_DRV=$(param ena-driver ena)
NET_IDS="$IXGBEVF_IDS $ENA_IDS"

# Wait (at most devbench.settle seconds) until every emulated function has probed: driver
# bound and its netdev / NVMe namespace present.
probed() {
  for bdf in $(pci_find $NET_IDS); do
    ls "/sys/bus/pci/devices/$bdf/net" 2>/dev/null | grep -q . || return 1
  done
  for bdf in $(pci_find $NVME_IDS); do
    c=$(ls "/sys/bus/pci/devices/$bdf/nvme" 2>/dev/null | head -1); [ -n "$c" ] || return 1
    ls -d /sys/class/nvme/$c/${c}n* >/dev/null 2>&1 || return 1
  done
  return 0
}
i=0
while [ $i -lt $((SETTLE*10)) ] && ! probed; do sleep 0.1; i=$((i+1)); done
say "DEVBENCH-INFO modules-loaded uptime=$(uptime_s) probe-wait=$((i/10)).$((i%10))s all-probed=$(probed && echo yes || echo no)"

# ---------------------------------------------------------------- NIC checks
stat_of() { cat "/sys/class/net/$1/statistics/$2" 2>/dev/null || echo 0; }
wait_oper() { # iface, seconds: prints final operstate
  i=0
  while [ $i -lt $(($2*10)) ]; do
    [ "$(cat /sys/class/net/$1/operstate 2>/dev/null)" = up ] && break
    sleep 0.1; i=$((i+1))
  done
  cat "/sys/class/net/$1/operstate" 2>/dev/null
}
NIC_INDEX=0
traffic() { # prefix iface
  p=$1 ifc=$2
  case $p in ixgbevf) net=169.254.101 ;; ena) net=169.254.102 ;; *) NIC_INDEX=$((NIC_INDEX+1)); net=169.254.$((110+NIC_INDEX)) ;; esac
  ip addr add "$net.1/24" dev "$ifc" 2>/dev/null
  tx0=$(stat_of "$ifc" tx_packets) rx0=$(stat_of "$ifc" rx_packets)
  txb0=$(stat_of "$ifc" tx_bytes) rxb0=$(stat_of "$ifc" rx_bytes)
  replies=$(arping -c 3 -w 4 -I "$ifc" "$net.2" 2>&1 | sed -n 's/^Received \([0-9]*\) .*/\1/p')
  pingres=skipped
  if [ "${replies:-0}" -gt 0 ]; then
    ping -c 3 -W 1 -I "$ifc" "$net.2" >/tmp/ping.out 2>&1 && pingres=ok || pingres=fail
  fi
  sleep 0.2
  tx1=$(stat_of "$ifc" tx_packets) rx1=$(stat_of "$ifc" rx_packets)
  txb1=$(stat_of "$ifc" tx_bytes) rxb1=$(stat_of "$ifc" rx_bytes)
  detail="bdf=$bdf if=$ifc tx_packets=$tx1 rx_packets=$rx1 tx_delta=$((tx1-tx0)) rx_delta=$((rx1-rx0)) tx_bytes_delta=$((txb1-txb0)) rx_bytes_delta=$((rxb1-rxb0)) arp_replies=${replies:-0} ping=$pingres"
  # Frames went out, the peer's replies came back in, and ping got its echoes.
  if [ $((tx1-tx0)) -gt 0 ] && [ $((rx1-rx0)) -gt 0 ] && [ "$pingres" = ok ]; then
    check "$p-traffic" PASS "$detail"
  else
    check "$p-traffic" FAIL "$detail"
  fi
}
nic_checks() { # prefix driver ids...
  p=$1 want=$2; shift 2
  bdfs=$(pci_find "$@")
  if [ -z "$bdfs" ]; then check "$p" SKIP no-device; return; fi
  for bdf in $bdfs; do
    drv=$(drv_of "$bdf")
    if [ "$drv" != "$want" ]; then check "$p-bound" FAIL "bdf=$bdf driver=$drv"; continue; fi
    ifc=$(ls "/sys/bus/pci/devices/$bdf/net" 2>/dev/null | head -1)
    if [ -z "$ifc" ]; then check "$p-bound" FAIL "bdf=$bdf driver=$drv netdev=none"; continue; fi
    check "$p-bound" PASS "bdf=$bdf driver=$drv if=$ifc"
    mac=$(cat "/sys/class/net/$ifc/address")
    case "$mac" in
      00:00:00:00:00:00|"") check "$p-mac" FAIL "bdf=$bdf if=$ifc mac=$mac" ;;
      *) check "$p-mac" PASS "bdf=$bdf if=$ifc mac=$mac" ;;
    esac
    if ip link set dev "$ifc" up 2>/tmp/ipup.err; then
      st=$(wait_oper "$ifc" "$LINKWAIT")
      carrier=$(cat "/sys/class/net/$ifc/carrier" 2>/dev/null || echo ?)
      d="bdf=$bdf if=$ifc operstate=$st carrier=$carrier mtu=$(cat /sys/class/net/$ifc/mtu)"
      [ "$st" = up ] && check "$p-link" PASS "$d" || check "$p-link" FAIL "$d"
    else
      check "$p-link" FAIL "bdf=$bdf if=$ifc ip-link-up-error=$(tr ' ' _ </tmp/ipup.err)"
    fi
    traffic "$p" "$ifc"
  done
}

# ---------------------------------------------------------------- NVMe checks
make_pattern() { # 4096 bytes: 128 lines of 32 bytes
  i=0
  while [ $i -lt 128 ]; do printf '%-31.31s\n' "DBP:$PATTERN:$BLOCK:$i"; i=$((i+1)); done >/tmp/pattern
}
nvme_ctrls() { # "bdf ctrl ns" per line for bound NVMe functions
  for bdf in $(pci_find $NVME_IDS); do
    c=$(ls "/sys/bus/pci/devices/$bdf/nvme" 2>/dev/null | head -1)
    ns=""
    [ -n "$c" ] && ns=$(ls -d /sys/class/nvme/$c/${c}n* 2>/dev/null | head -1)
    echo "$bdf ${c:-none} $(basename "${ns:-none}")"
  done
}
ns_sectors() { cat "/sys/block/$1/size" 2>/dev/null || echo 0; }
read_block() { # ns outfile
  $DD if="/dev/$1" of="$2" bs=4096 skip="$BLOCK" count=1 iflag=direct 2>/tmp/dd.err
}
nvme_each() { # check-name function
  lines=$(nvme_ctrls)
  if [ -z "$lines" ]; then echo "$1 SKIP no-device"; return; fi
  echo "$lines" | while read -r bdf c ns; do
    drv=$(drv_of "$bdf")
    if [ "$drv" != nvme ] || [ "$c" = none ]; then echo "$1 FAIL bdf=$bdf driver=$drv ctrl=$c"; continue; fi
    if [ "$ns" = none ] && [ "$1" != nvme-id ]; then echo "$1 FAIL bdf=$bdf ctrl=$c namespace=none"; continue; fi
    "$2" "$bdf" "$c" "$ns"
  done
}
# nvme_each runs in a pipe's subshell (counters would be lost): the per-controller functions
# print "<name> <status> <detail>" and run_nvme turns those into check lines.
nvme_id() {
  st=$(cat "/sys/class/nvme/$2/state" 2>/dev/null)
  model=$(cat "/sys/class/nvme/$2/model" 2>/dev/null | sed 's/ *$//' | tr ' ' _)
  serial=$(cat "/sys/class/nvme/$2/serial" 2>/dev/null | sed 's/ *$//' | tr ' ' _)
  fw=$(cat "/sys/class/nvme/$2/firmware_rev" 2>/dev/null | sed 's/ *$//' | tr ' ' _)
  d="bdf=$1 driver=nvme ctrl=$2 ns=$3 state=$st model=$model serial=$serial fw=$fw sectors=$(ns_sectors "$3")"
  [ "$st" = live ] && [ "$3" != none ] && echo "nvme-id PASS $d" || echo "nvme-id FAIL $d"
  nvme list 2>/dev/null | sed 's/^/DEVBENCH-NVMELIST /' >&2
}
nvme_readback() {
  make_pattern
  want=$(sha256sum </tmp/pattern | cut -c1-64)
  if [ $(( ($(ns_sectors "$3") / 8) )) -le "$BLOCK" ]; then echo "nvme-readback FAIL bdf=$1 ns=$3 block=$BLOCK beyond-end"; return; fi
  if ! $DD if=/tmp/pattern of="/dev/$3" bs=4096 seek="$BLOCK" count=1 oflag=direct conv=fsync 2>/tmp/dd.err; then
    echo "nvme-readback FAIL bdf=$1 ns=$3 write-error=$(tail -1 /tmp/dd.err | tr ' ' _)"; return
  fi
  if ! read_block "$3" /tmp/rb; then echo "nvme-readback FAIL bdf=$1 ns=$3 read-error=$(tail -1 /tmp/dd.err | tr ' ' _)"; return; fi
  got=$(sha256sum </tmp/rb | cut -c1-64)
  d="bdf=$1 ns=$3 block=$BLOCK offset=$((BLOCK*4096)) pattern=$PATTERN sha256=$got"
  [ "$got" = "$want" ] && echo "nvme-readback PASS $d" || echo "nvme-readback FAIL $d want=$want"
}
nvme_erased() {
  if ! read_block "$3" /tmp/rb; then echo "nvme-erased FAIL bdf=$1 ns=$3 read-error=$(tail -1 /tmp/dd.err | tr ' ' _)"; return; fi
  make_pattern
  got=$(sha256sum </tmp/rb | cut -c1-64)
  hits=$(grep -c "DBP:$PATTERN:" /tmp/rb 2>/dev/null); hits=${hits:-0}
  d="bdf=$1 ns=$3 block=$BLOCK offset=$((BLOCK*4096)) pattern=$PATTERN sha256=$got pattern_lines=$hits"
  if cmp -s /tmp/rb /tmp/pattern || [ "$hits" -gt 0 ]; then echo "nvme-erased FAIL $d plaintext-present"; else echo "nvme-erased PASS $d"; fi
}
dd_rate() { # "secs=S MBps=R" (1 MB = 10^6 bytes) from coreutils dd's last line
  tail -1 /tmp/dd.err | awk '/ bytes .* copied, / { for (i = 1; i <= NF; i++) if ($i == "s,") s = $(i-1);
    if (s > 0) printf "secs=%s MBps=%.2f\n", s, $1 / s / 1e6; else printf "secs=%s MBps=?\n", s; ok = 1 }
    END { if (!ok) print "secs=? MBps=?" }'
}
nvme_throughput() {
  need=$(( (TPUT_OFF + TPUT_MIB) * 2048 ))
  if [ "$(ns_sectors "$3")" -lt "$need" ]; then echo "nvme-throughput SKIP bdf=$1 ns=$3 too-small sectors=$(ns_sectors "$3")"; return; fi
  if ! $DD if=/dev/zero of="/dev/$3" bs=1M seek="$TPUT_OFF" count="$TPUT_MIB" oflag=direct conv=fsync 2>/tmp/dd.err; then
    echo "nvme-throughput FAIL bdf=$1 ns=$3 write-error=$(tail -1 /tmp/dd.err | tr ' ' _)"; return
  fi
  w=$(dd_rate)
  if ! $DD if="/dev/$3" of=/dev/null bs=1M skip="$TPUT_OFF" count="$TPUT_MIB" iflag=direct 2>/tmp/dd.err; then
    echo "nvme-throughput FAIL bdf=$1 ns=$3 read-error=$(tail -1 /tmp/dd.err | tr ' ' _)"; return
  fi
  r=$(dd_rate)
  echo "nvme-throughput PASS bdf=$1 ns=$3 mib=$TPUT_MIB write_$(echo "$w" | sed 's/ MBps=/ write_MBps=/') read_$(echo "$r" | sed 's/ MBps=/ read_MBps=/')"
}
wait_live() { # ctrl seconds
  i=0
  while [ $i -lt $(($2*10)) ]; do
    [ "$(cat /sys/class/nvme/$1/state 2>/dev/null)" = live ] && return 0
    sleep 0.1; i=$((i+1))
  done
  return 1
}
# After a reset: the namespace must still read; if readback wrote the pattern, it must still be there.
nvme_verify_after() { # bdf ctrl ns -> prints detail, returns status
  ns=$3
  [ -b "/dev/$ns" ] || { i=0; while [ $i -lt 50 ] && [ ! -b "/dev/$ns" ]; do sleep 0.1; i=$((i+1)); done; }
  read_block "$ns" /tmp/rb2 || { echo "read-error=$(tail -1 /tmp/dd.err | tr ' ' _)"; return 1; }
  if [ -f /tmp/readback-done ]; then
    cmp -s /tmp/rb2 /tmp/pattern && { echo "pattern=intact"; return 0; }
    echo "pattern=changed"; return 1
  fi
  echo "read=ok"; return 0
}
nvme_reset() {
  t0=$(uptime_s)
  if ! echo 1 >"/sys/class/nvme/$2/reset_controller" 2>/tmp/reset.err; then
    echo "nvme-reset FAIL bdf=$1 ctrl=$2 write-error=$(tr ' ' _ </tmp/reset.err)"; return
  fi
  if ! wait_live "$2" 15; then echo "nvme-reset FAIL bdf=$1 ctrl=$2 state=$(cat /sys/class/nvme/$2/state) not-live-after-15s"; return; fi
  v=$(nvme_verify_after "$@") && st=PASS || st=FAIL
  echo "nvme-reset $st bdf=$1 ctrl=$2 state=live t0=$t0 t1=$(uptime_s) $v"
}
run_nvme() { # check-name function
  nvme_each "$1" "$2" >/tmp/nvme.res
  while read -r n st rest; do check "$n" "$st" "$rest"; done </tmp/nvme.res
  [ "$1" = nvme-readback ] && grep -q '^nvme-readback PASS' /tmp/nvme.res && touch /tmp/readback-done
}

# ---------------------------------------------------------------- PCI function reset (sysfs)
pci_reset() {
  bdfs=$(pci_find $NVME_IDS $NET_IDS)
  if [ -z "$bdfs" ]; then check pci-reset SKIP no-device; return; fi
  for bdf in $bdfs; do
    d=/sys/bus/pci/devices/$bdf
    if [ ! -e "$d/reset" ]; then check pci-reset SKIP "bdf=$bdf no-reset-method"; continue; fi
    meth=$(cat "$d/reset_method" 2>/dev/null | tr ' ' ,)
    drv=$(drv_of "$bdf")
    if ! echo 1 >"$d/reset" 2>/tmp/reset.err; then
      check pci-reset FAIL "bdf=$bdf driver=$drv method=$meth error=$(tr ' ' _ </tmp/reset.err)"; continue
    fi
    case "$drv" in
      nvme)
        c=$(ls "$d/nvme" 2>/dev/null | head -1)
        ns=$(basename "$(ls -d /sys/class/nvme/$c/${c}n* 2>/dev/null | head -1)")
        if ! wait_live "$c" 15; then check pci-reset FAIL "bdf=$bdf driver=nvme method=$meth state=$(cat /sys/class/nvme/$c/state 2>/dev/null)"; continue; fi
        v=$(nvme_verify_after "$bdf" "$c" "$ns") && st=PASS || st=FAIL
        check pci-reset $st "bdf=$bdf driver=nvme method=$meth ctrl=$c $v" ;;
      "$IXGBEVF_DRV"|"$ENA_DRV")
        ifc=$(ls "$d/net" 2>/dev/null | head -1)
        [ -n "$ifc" ] || { check pci-reset FAIL "bdf=$bdf driver=$drv method=$meth netdev=gone"; continue; }
        # Drivers without reset_prepare/reset_done (ixgbevf, ena) may notice a reset through
        # their own watchdog: give them devbench.reset-settle seconds. If the interface does not
        # pass traffic then, rebind the driver (what an OS does with a NIC that lost its state)
        # and judge the device by that: it must work again after its FLR.
        sleep "$RESET_SETTLE"
        nic_probe() { # iface -> sets st, txd
          ip link set dev "$1" up 2>/dev/null
          ip -4 addr show dev "$1" | grep -q inet || ip addr add 169.254.199.1/24 dev "$1" 2>/dev/null
          st=$(wait_oper "$1" "$LINKWAIT")
          tx0=$(stat_of "$1" tx_packets)
          arping -c 1 -w 2 -I "$1" "169.254.199.2" >/dev/null 2>&1
          sleep 0.2
          txd=$(( $(stat_of "$1" tx_packets) - tx0 ))
        }
        nic_probe "$ifc"
        how=driver
        if [ "$st" != up ] || [ "$txd" -le 0 ]; then
          how=rebind
          echo "$bdf" >"/sys/bus/pci/drivers/$drv/unbind" 2>/dev/null
          echo "$bdf" >"/sys/bus/pci/drivers/$drv/bind" 2>/dev/null
          i=0; while [ $i -lt 50 ] && [ -z "$(ls "$d/net" 2>/dev/null)" ]; do sleep 0.1; i=$((i+1)); done
          ifc=$(ls "$d/net" 2>/dev/null | head -1)
          if [ -n "$ifc" ]; then nic_probe "$ifc"; else st=gone txd=0; fi
        fi
        dd="bdf=$bdf driver=$drv method=$meth if=$ifc recovered-by=$how operstate=$st tx_delta=$txd"
        [ "$st" = up ] && [ "$txd" -gt 0 ] && check pci-reset PASS "$dd" || check pci-reset FAIL "$dd" ;;
      *) check pci-reset FAIL "bdf=$bdf driver=$drv method=$meth unbound" ;;
    esac
  done
}

# ---------------------------------------------------------------- run
for c in $LIST; do
  case "$c" in
    lspci)
      n=0
      lspci -nn >/tmp/lspci.out 2>&1; rc=$?
      while IFS= read -r l; do say "DEVBENCH-LSPCI $l"; n=$((n+1)); done </tmp/lspci.out
      [ $rc = 0 ] && check lspci PASS "functions=$n" || check lspci FAIL "rc=$rc" ;;
    ixgbevf) nic_checks ixgbevf "$IXGBEVF_DRV" $IXGBEVF_IDS ;;
    ena) nic_checks ena "$ENA_DRV" $ENA_IDS ;;
    nvme-id) run_nvme nvme-id nvme_id ;;
    nvme-readback) run_nvme nvme-readback nvme_readback ;;
    nvme-erased) run_nvme nvme-erased nvme_erased ;;
    nvme-throughput) run_nvme nvme-throughput nvme_throughput ;;
    nvme-reset) run_nvme nvme-reset nvme_reset ;;
    pci-reset) pci_reset ;;
    dmesg) dmesg | sed 's/^/DEVBENCH-DMESG /' ;;
    *) check "$c" FAIL unknown-check ;;
  esac
done

if [ $NFAIL -gt 0 ]; then
  dmesg | grep -iE 'nvme|ixgbevf|ena|vfio|pci 0000:0[0-9]:0[1-9]|BAR|error|fail|timeout' | tail -60 | sed 's/^/DEVBENCH-DMESG /'
  say "DEVBENCH-FAIL$FAILED"
fi
say "DEVBENCH-DONE pass=$NPASS fail=$NFAIL skip=$NSKIP uptime=$(uptime_s)"
kill $WDPID 2>/dev/null
sync
poweroff -f
