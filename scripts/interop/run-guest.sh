#!/usr/bin/env bash
# Boots the interop guest (build-guest.sh's kernel + initramfs) under QEMU/TCG, QEMU running
# chrooted in the cached Debian trixie root, with one vfio-user-pci device per --socket.
# The guest's /init runs the checks and powers off; the serial console is printed (stdout) and
# saved to a log. Exit 0 only if the guest printed DEVBENCH-DONE and no DEVBENCH-FAIL and no
# failed DEVBENCH-CHECK line; 1 on a failed check; 2 on usage errors; 3 if no DEVBENCH-DONE
# (timeout, panic, QEMU error).
#
# Usage: run-guest.sh [--socket NAME=PATH]... [--timeout S] [--checks LIST] [--append ARGS]
#                     [--log FILE] [--socket-wait S] [--qemu-arg ARG]... [--private-memory] [--dry-run]
#   --socket NAME=PATH  vfio-user socket of one emulated function; NAME becomes the QEMU device
#                       id (letters, digits, -, _). PATH may be
#                         $CACHE/root/run/devbench/X.sock   (host path inside the root), or
#                         /run/devbench/X.sock              (the same, as seen inside the root), or
#                         any other host path: its directory is bind-mounted into the root at
#                         /run/devbench/ext-N for QEMU's namespace only.
#   --timeout S         wall-clock limit for QEMU (default 300)
#   --checks LIST       devbench.checks= for the guest (default: "default", see guest-init.sh)
#   --append ARGS       more kernel command line, e.g. 'devbench.pattern=abc devbench.block=16'
#   --log FILE          console log (default $CACHE/logs/run-<time>-<pid>.log)
#   --socket-wait S     wait up to S seconds for each socket to appear (default 30)
#   --msg-timeout MS    vfio-user reply timeout (QEMU's x-msg-timeout, default 5000 ms)
#   --qemu-arg ARG      extra QEMU argument (repeatable; for developing checks only)
#   --private-memory    guest RAM QEMU cannot share (no memfd): the server's DMA becomes
#                       DMA_READ/DMA_WRITE requests to QEMU instead of direct access
#   --dry-run           print the QEMU command line and exit
set -euo pipefail

CACHE=${DEVBENCH_INTEROP_CACHE:-/var/cache/devicebench-interop}
ROOT="$CACHE/root"
timeout_s=300 checks=default append="" log="" socket_wait=30 dry=0 msg_timeout="" private_memory=0
sockets=() extra=()
while [ $# -gt 0 ]; do
  case "$1" in
    --socket) sockets+=("$2"); shift 2 ;;
    --socket=*) sockets+=("${1#*=}"); shift ;;
    --timeout) timeout_s=$2; shift 2 ;;
    --checks) checks=$2; shift 2 ;;
    --append) append=$2; shift 2 ;;
    --log) log=$2; shift 2 ;;
    --socket-wait) socket_wait=$2; shift 2 ;;
    --qemu-arg) extra+=("$2"); shift 2 ;;
    --msg-timeout) msg_timeout=$2; shift 2 ;;
    --private-memory) private_memory=1; shift ;;
    --dry-run) dry=1; shift ;;
    -h|--help) sed -n '2,27p' "$0"; exit 0 ;;
    *) echo "run-guest.sh: unknown argument $1" >&2; exit 2 ;;
  esac
done
[ "$(id -u)" = 0 ] || { echo "run-guest.sh: must run as root (chroot)" >&2; exit 2; }
for f in "$CACHE/vmlinuz" "$CACHE/initramfs.cpio.gz" "$ROOT/usr/bin/qemu-system-x86_64"; do
  [ -e "$f" ] || { echo "run-guest.sh: $f missing: run scripts/interop/build-guest.sh first" >&2; exit 2; }
done
mkdir -p "$CACHE/logs" "$ROOT/run/devbench"
[ -n "$log" ] || log="$CACHE/logs/run-$(date +%Y%m%d-%H%M%S)-$$.log"

# Resolve sockets: inside-root paths for QEMU, plus host dirs to bind-mount.
binds=()    # "hostdir|insidedir"
devargs=()
n=0
for s in "${sockets[@]}"; do
  name=${s%%=*} path=${s#*=}
  [[ "$s" == *=* && "$name" =~ ^[A-Za-z][A-Za-z0-9_-]*$ && -n "$path" ]] \
    || { echo "run-guest.sh: --socket wants NAME=PATH (NAME: letter then letters/digits/-/_), got '$s'" >&2; exit 2; }
  case "$path" in
    "$ROOT"/*) inside=${path#"$ROOT"}; hostpath=$path ;;
    /run/devbench/*) inside=$path; hostpath=$ROOT$path ;;
    /*) n=$((n+1)); binds+=("$(dirname "$path")|/run/devbench/ext-$n")
        inside=/run/devbench/ext-$n/$(basename "$path"); hostpath=$path ;;
    *) echo "run-guest.sh: socket path must be absolute: $path" >&2; exit 2 ;;
  esac
  waited=0
  while [ $dry = 0 ] && [ ! -S "$hostpath" ]; do
    if [ $waited -ge "$socket_wait" ]; then echo "run-guest.sh: no socket at $hostpath after ${socket_wait}s" >&2; exit 3; fi
    sleep 1; waited=$((waited+1))
  done
  # JSON is the only -device syntax QEMU 11.1 takes for the SocketAddress (socket.path=... is refused).
  devargs+=(-device "{\"driver\":\"vfio-user-pci\",\"id\":\"$name\",\"socket\":{\"path\":\"$inside\",\"type\":\"unix\"}${msg_timeout:+,\"x-msg-timeout\":$msg_timeout}}")
done

cmdline="console=ttyS0 quiet panic=-1 devbench.checks=$checks${append:+ $append}"
# Guest RAM is a shared memfd the server maps (DMA_MAP with a descriptor), or with
# --private-memory ordinary anonymous RAM QEMU cannot share: the server then reaches it with
# DMA_READ/DMA_WRITE requests that QEMU serves.
memory=(-object memory-backend-memfd,id=mem,size=512M,share=on -machine q35,memory-backend=mem)
[ "$private_memory" = 0 ] || memory=(-machine q35)
qemu=(qemu-system-x86_64 -accel tcg -cpu max -smp 1 -m 512
  "${memory[@]}"
  -nographic -no-reboot -nodefaults -serial stdio
  -kernel /mnt/vmlinuz -initrd /mnt/initramfs.cpio.gz -append "$cmdline"
  "${devargs[@]}" "${extra[@]}")
echo "run-guest: chroot $ROOT ${qemu[*]}" | tee "$log" >&2
[ $dry = 0 ] || exit 0

# One QEMU at a time on this machine (2 shared cores).
exec 9>"$CACHE/run.lock"
flock -w "$timeout_s" 9 || { echo "run-guest.sh: another run-guest holds $CACHE/run.lock" >&2; exit 3; }

t0=$(date +%s.%N)
set +e
# Private mount namespace: /proc, /dev, the cache (read-only at /mnt for kernel+initrd) and
# socket dirs are mounted for QEMU only and vanish with it. timeout kills QEMU itself
# (unshare and sh exec into chroot, chroot into QEMU).
timeout -k 5 "$timeout_s" unshare --mount --propagation private -- /bin/sh -ec '
  root=$1 cache=$2 nb=$3; shift 3
  mount -t proc proc "$root/proc"
  mount --rbind /dev "$root/dev"
  mount --bind "$cache" "$root/mnt"; mount -o remount,bind,ro "$root/mnt"
  i=0
  while [ $i -lt "$nb" ]; do
    h=${1%%|*} in=${1#*|}; shift
    mkdir -p "$root$in"; mount --bind "$h" "$root$in"
    i=$((i+1))
  done
  exec chroot "$root" /usr/bin/env -i PATH=/usr/bin:/bin HOME=/root "$@"' \
  sh "$ROOT" "$CACHE" "${#binds[@]}" "${binds[@]}" "${qemu[@]}" </dev/null 2>&1 \
  | tr -d '\r' | tee -a "$log"
rc=${PIPESTATUS[0]}
set -e
t1=$(date +%s.%N)
secs=$(awk -v a="$t0" -v b="$t1" 'BEGIN{printf "%.1f", b-a}')

if ! grep -q '^DEVBENCH-DONE' "$log"; then
  echo "run-guest: FAIL no DEVBENCH-DONE (qemu rc=$rc, ${secs}s) log=$log" | tee -a "$log" >&2
  exit 3
fi
if grep -qE '^DEVBENCH-FAIL|^DEVBENCH-CHECK [^ ]+ FAIL' "$log"; then
  echo "run-guest: FAIL $(grep -c '^DEVBENCH-CHECK [^ ]* FAIL' "$log") failed check(s) (${secs}s) log=$log" | tee -a "$log" >&2
  exit 1
fi
echo "run-guest: PASS $(grep '^DEVBENCH-DONE' "$log" | head -1 | cut -d' ' -f2-) wall=${secs}s log=$log" | tee -a "$log" >&2
exit 0
