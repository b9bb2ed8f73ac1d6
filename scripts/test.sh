#!/usr/bin/env bash
# The test command: setup, generated-code freshness, lint, then every test (warnings are
# errors in every first-party target), then the CLI's main job and conformance run.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh

echo "== generated register tables are up to date"
swift build --product devspec-gen
.build/debug/devspec-gen --check

echo "== lint"
scripts/lint.sh

echo "== tests"
swift test --parallel

echo "== devbench (default profile) and conformance"
swift build --product devbench
.build/debug/devbench > /dev/null
.build/debug/devbench conform > /dev/null
echo "all checks passed"
