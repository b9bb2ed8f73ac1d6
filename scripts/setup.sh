#!/usr/bin/env bash
# Installs the Debian packages DeviceBench builds and tests against, if they are missing:
# libpci-dev (libpci headers, linked by the inspector), pciutils (real lspci, used by the
# differential tests), pci.ids (vendor/device names), libssl-dev (XTS-AES for NVMe) and openssl
# (`openssl speed`, the NVMe bench's reference).
# Safe to run repeatedly; does nothing when everything is present.
set -euo pipefail

need=()
[ -f /usr/include/pci/pci.h ] || need+=(libpci-dev)
command -v lspci >/dev/null 2>&1 || need+=(pciutils)
[ -f /usr/share/misc/pci.ids ] || need+=(pci.ids)
[ -f /usr/include/openssl/evp.h ] || need+=(libssl-dev)
command -v openssl >/dev/null 2>&1 || need+=(openssl)

if [ ${#need[@]} -gt 0 ]; then
    echo "setup: installing ${need[*]}" >&2
    sudo=""
    if [ "$(id -u)" -ne 0 ]; then
        command -v sudo >/dev/null 2>&1 || { echo "setup: need root or sudo to install ${need[*]}" >&2; exit 1; }
        sudo="sudo"
    fi
    export DEBIAN_FRONTEND=noninteractive
    $sudo apt-get update -qq
    $sudo apt-get install -y -qq "${need[@]}" >/dev/null
fi

command -v swift >/dev/null 2>&1 || { echo "setup: swift (6.3 or later) is not on PATH" >&2; exit 1; }
