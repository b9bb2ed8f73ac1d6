#!/usr/bin/env bash
# Builds (once) and caches, OUTSIDE the repository, everything the vfio-user interop
# harness needs on the guest side, from Debian packages only:
#   $CACHE/root                 Debian trixie root (minbase) with QEMU from trixie-backports
#                               (vfio-user-pci), linux-image-amd64, pciutils, busybox-static,
#                               nvme-cli, iproute2. QEMU runs chrooted here (run-guest.sh).
#   $CACHE/vmlinuz              the trixie kernel
#   $CACHE/initramfs.cpio.gz    busybox + nvme/ixgbevf/ena modules + lspci + nvme-cli + /init
#                               (scripts/interop/guest-init.sh)
# CACHE defaults to ${DEVBENCH_INTEROP_CACHE:-/var/cache/devicebench-interop}.
# Idempotent: the root is rebuilt only when its stamp (ROOT_VERSION) differs; the initramfs
# only when its stamp (INITRAMFS_VERSION + hash of guest-init.sh) differs.
# Needs root (debootstrap, chroot). Usage: build-guest.sh [--force-root] [--force-initramfs]
set -euo pipefail

ROOT_VERSION="devbench-interop-root-v1"
INITRAMFS_VERSION="devbench-interop-initramfs-v1"
SUITE=trixie
MIRROR=${DEVBENCH_INTEROP_MIRROR:-http://deb.debian.org/debian}
CACHE=${DEVBENCH_INTEROP_CACHE:-/var/cache/devicebench-interop}
HERE=$(cd "$(dirname "$0")" && pwd)
INIT_SRC="$HERE/guest-init.sh"
ROOT="$CACHE/root"
# Installed from trixie (main) ...
PACKAGES=(linux-image-amd64 pciutils pci.ids busybox-static nvme-cli iproute2 kmod xz-utils)
# ... and from trixie-backports (11.x has the vfio-user-pci device).
BACKPORTS=(qemu-system-x86)
# Guest modules (their modules.dep dependencies are added). e1000e only as a stand-in NIC
# (QEMU's -device e1000e) for developing the NIC checks without a vfio-user server.
MODULES=(nvme ixgbevf ena e1000e)

force_root=0 force_initramfs=0
for a in "$@"; do
  case "$a" in
    --force-root) force_root=1; force_initramfs=1 ;;
    --force-initramfs) force_initramfs=1 ;;
    -h|--help) sed -n '2,14p' "$0"; exit 0 ;;
    *) echo "build-guest.sh: unknown argument $a" >&2; exit 2 ;;
  esac
done

log() { printf '[build-guest %(%H:%M:%S)T] %s\n' -1 "$*" >&2; }
[ "$(id -u)" = 0 ] || { echo "build-guest.sh: must run as root (debootstrap, chroot)" >&2; exit 1; }
case "$CACHE" in /work/*/scripts/*|"$HERE"*) echo "build-guest.sh: cache must be outside the repository" >&2; exit 1 ;; esac
mkdir -p "$CACHE"

# Runs a command chrooted in $1 inside a private mount namespace, so /proc, /sys and /dev
# bind mounts disappear with it (nothing to unmount, nothing left behind on failure).
in_root() {
  local r=$1; shift
  unshare --mount --propagation private -- /bin/sh -ec '
    r=$1; shift
    mount -t proc proc "$r/proc"
    mount --rbind /sys "$r/sys"
    mount --rbind /dev "$r/dev"
    exec chroot "$r" /usr/bin/env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin HOME=/root \
      LANG=C.UTF-8 DEBIAN_FRONTEND=noninteractive "$@"' sh "$r" "$@"
}

stamp_ok() { [ -f "$1" ] && [ "$(cat "$1")" = "$2" ]; }

root_stamp="$ROOT_VERSION ${PACKAGES[*]} bpo:${BACKPORTS[*]}"
if [ $force_root = 1 ] || ! stamp_ok "$CACHE/root.stamp" "$root_stamp" || [ ! -x "$ROOT/usr/bin/qemu-system-x86_64" ]; then
  t0=$(date +%s)
  if ! command -v debootstrap >/dev/null; then
    log "installing debootstrap on the host"
    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq debootstrap >&2
  fi
  keyring=/usr/share/keyrings/debian-archive-keyring.gpg
  new="$CACHE/root.new"
  rm -rf "$new"
  log "debootstrap $SUITE (minbase) into $new"
  debootstrap --variant=minbase --keyring="$keyring" "$SUITE" "$new" "$MIRROR" >"$CACHE/debootstrap.log" 2>&1 \
    || { tail -20 "$CACHE/debootstrap.log" >&2; exit 1; }
  cat >"$new/etc/apt/sources.list" <<EOF
deb $MIRROR $SUITE main
deb $MIRROR $SUITE-updates main
deb $MIRROR $SUITE-backports main
deb http://deb.debian.org/debian-security $SUITE-security main
EOF
  # No services in the chroot, no recommends, no initrd generation for the kernel package
  # (we pack our own initramfs).
  printf '#!/bin/sh\nexit 101\n' >"$new/usr/sbin/policy-rc.d"; chmod +x "$new/usr/sbin/policy-rc.d"
  printf 'APT::Install-Recommends "false";\nAPT::Install-Suggests "false";\n' >"$new/etc/apt/apt.conf.d/90devbench"
  mkdir -p "$new/etc/initramfs-tools"
  printf 'update_initramfs=no\nbackup_initramfs=no\n' >"$new/etc/initramfs-tools/update-initramfs.conf"
  printf 'do_symlinks = no\n' >"$new/etc/kernel-img.conf"
  log "apt-get install ${PACKAGES[*]} and -t $SUITE-backports ${BACKPORTS[*]}"
  in_root "$new" apt-get update -qq >&2
  in_root "$new" apt-get install -y -qq -o Dpkg::Options::=--force-confold "${PACKAGES[@]}" >"$CACHE/apt.log" 2>&1 \
    || { tail -30 "$CACHE/apt.log" >&2; exit 1; }
  in_root "$new" apt-get install -y -qq -o Dpkg::Options::=--force-confold -t "$SUITE-backports" "${BACKPORTS[@]}" >>"$CACHE/apt.log" 2>&1 \
    || { tail -30 "$CACHE/apt.log" >&2; exit 1; }
  in_root "$new" apt-get clean
  in_root "$new" dpkg-query -W -f '${Package} ${Version}\n' "${PACKAGES[@]}" "${BACKPORTS[@]}" >"$CACHE/versions.txt"
  mkdir -p "$new/run/devbench"
  chmod 0777 "$new/run/devbench"
  if [ -d "$ROOT" ]; then
    # keep sockets a server may already have placed there
    mv "$ROOT" "$CACHE/root.old"; rm -rf "$CACHE/root.old"
  fi
  mv "$new" "$ROOT"
  echo "$root_stamp" >"$CACHE/root.stamp"
  force_initramfs=1
  log "root built in $(( $(date +%s) - t0 )) s"
fi

# QEMU must offer vfio-user-pci.
if ! in_root "$ROOT" qemu-system-x86_64 -device help 2>/dev/null | grep -q '"vfio-user-pci"'; then
  echo "build-guest.sh: $ROOT's qemu-system-x86_64 has no vfio-user-pci device:" >&2
  cat "$CACHE/versions.txt" >&2
  exit 1
fi

init_hash=$(cat "$0" "$INIT_SRC" | sha256sum | cut -c1-16)
ird_stamp="$INITRAMFS_VERSION $init_hash"
if [ $force_initramfs = 0 ] && stamp_ok "$CACHE/initramfs.stamp" "$ird_stamp" \
   && [ -s "$CACHE/initramfs.cpio.gz" ] && [ -s "$CACHE/vmlinuz" ]; then
  log "cache complete: $CACHE (nothing to do)"
  exit 0
fi

t0=$(date +%s)
kver=$(basename "$(ls -d "$ROOT"/lib/modules/*/ | sort -V | tail -1)")
log "packing initramfs for kernel $kver"
cp "$ROOT/boot/vmlinuz-$kver" "$CACHE/vmlinuz.new" && mv "$CACHE/vmlinuz.new" "$CACHE/vmlinuz"

stage="$CACHE/initramfs.stage"
rm -rf "$stage"
mkdir -p "$stage"/{bin,sbin,dev,proc,sys,tmp,run,etc,lib64,usr/share/misc,usr/lib/x86_64-linux-gnu,"lib/modules/$kver"}
ln -s lib "$stage/usr/lib64" 2>/dev/null || true
cp "$ROOT/usr/bin/busybox" "$stage/bin/busybox"
for app in $("$stage/bin/busybox" --list); do
  [ -e "$stage/bin/$app" ] || ln -s busybox "$stage/bin/$app"
done

# Modules: resolve dependencies with modules.dep, decompress (busybox insmod takes plain
# .ko), keep the load order (dependencies first) in /etc/devbench-modules.
mdir="$ROOT/lib/modules/$kver"
declare -A seen=()
order=()
resolve() { # $1: path relative to $mdir as in modules.dep
  local rel=$1 line deps d
  [ -n "${seen[$rel]:-}" ] && return 0
  seen[$rel]=1
  line=$(grep -m1 "^$rel:" "$mdir/modules.dep") || { echo "no modules.dep entry for $rel" >&2; exit 1; }
  deps=${line#*:}
  for d in $deps; do resolve "$d"; done
  order+=("$rel")
}
for m in "${MODULES[@]}"; do
  rel=$(grep -E -m1 "(^|/)${m//-/[-_]}\.ko(\.[a-z]+)?:" "$mdir/modules.dep" | cut -d: -f1) \
    || { echo "module $m not in modules.dep" >&2; exit 1; }
  resolve "$rel"
done
: >"$stage/etc/devbench-modules"
for rel in "${order[@]}"; do
  out="$stage/lib/modules/$kver/${rel%.xz}"; out=${out%.zst}; out=${out%.gz}
  mkdir -p "$(dirname "$out")"
  case "$rel" in
    *.xz) xz -dc "$mdir/$rel" >"$out" ;;
    *.zst) in_root "$ROOT" zstd -dc "/lib/modules/$kver/$rel" >"$out" ;;
    *.gz) gzip -dc "$mdir/$rel" >"$out" ;;
    *) cp "$mdir/$rel" "$out" ;;
  esac
  echo "/lib/modules/$kver/${out#"$stage/lib/modules/$kver/"}" >>"$stage/etc/devbench-modules"
done
# modules.dep for the stage too (busybox modprobe reads it), with the decompressed names.
for rel in "${order[@]}"; do
  line=$(grep -m1 "^$rel:" "$mdir/modules.dep")
  echo "$line" | sed -E 's/\.ko\.(xz|zst|gz)/.ko/g'
done >"$stage/lib/modules/$kver/modules.dep"
touch "$stage/lib/modules/$kver/modules.alias" "$stage/lib/modules/$kver/modules.symbols"
cp "$mdir/modules.builtin" "$mdir/modules.order" "$stage/lib/modules/$kver/" 2>/dev/null || true

# Real binaries with their shared libraries, resolved by the trixie loader in the chroot.
copy_bin() { # $1: path inside the root; $2: destination dir in stage
  local b=$1 dest=$2 lib
  install -D -m 0755 "$ROOT$b" "$stage$dest/$(basename "$b")"
  for lib in $(in_root "$ROOT" ldd "$b" | awk '/=> \//{print $3} /^\t\/.*ld-linux/{print $1}'); do
    # Copy the real file under the path the loader asked for (merged /usr: /lib -> usr/lib).
    local real; real=$(in_root "$ROOT" readlink -f "$lib")
    mkdir -p "$stage$(dirname "$lib")"
    [ -e "$stage$lib" ] || cp -L "$ROOT$real" "$stage$lib"
  done
}
copy_bin /usr/bin/lspci /usr/bin
copy_bin /usr/sbin/nvme /usr/sbin
copy_bin /usr/bin/dd /usr/bin   # coreutils dd: oflag=direct and the throughput line we parse
cp "$ROOT/usr/share/misc/pci.ids" "$stage/usr/share/misc/pci.ids"
# The loader path /lib64/ld-linux-x86-64.so.2 is what binaries ask for.
[ -e "$stage/lib64/ld-linux-x86-64.so.2" ] || cp -L "$ROOT/usr/lib/x86_64-linux-gnu/ld-linux-x86-64.so.2" "$stage/lib64/"

install -m 0755 "$INIT_SRC" "$stage/init"
echo "$kver" >"$stage/etc/devbench-kernel"
# busybox's own cpio (no host cpio needed); everything in the stage is root-owned.
( cd "$stage" && find . | LC_ALL=C sort | ./bin/busybox cpio -o -H newc 2>/dev/null ) \
  | gzip -6 >"$CACHE/initramfs.cpio.gz.new"
mv "$CACHE/initramfs.cpio.gz.new" "$CACHE/initramfs.cpio.gz"
rm -rf "$stage"
echo "$ird_stamp" >"$CACHE/initramfs.stamp"
log "initramfs $(du -h "$CACHE/initramfs.cpio.gz" | cut -f1) packed in $(( $(date +%s) - t0 )) s: $CACHE/initramfs.cpio.gz"
