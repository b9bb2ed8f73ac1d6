#!/usr/bin/env bash
# The main job: builds DeviceBench (release) and runs `devbench` on the embedded default
# profile, a virtual EC2-like host. Extra arguments go to devbench, e.g.
#   scripts/devbench.sh conform --junit conform.xml
#   scripts/devbench.sh bench
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh
swift build -c release --product devbench >&2
exec .build/release/devbench "$@"
