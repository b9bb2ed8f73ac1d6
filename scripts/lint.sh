#!/usr/bin/env bash
# Lints hand-written Swift with the checked-in .swift-format; any finding fails the build.
# Generated register tables are excluded: devspec-gen owns their layout and `--check` guards them.
# Fix formatting with: scripts/lint.sh --fix
set -euo pipefail
cd "$(dirname "$0")/.."
mapfile -t files < <(find Package.swift Sources Tests Fuzz -name '*.swift' -not -path '*/Generated/*' -not -path '*/.build*' 2>/dev/null | sort)
if [ "${1:-}" = "--fix" ]; then
    swift format format --in-place --parallel "${files[@]}"
fi
swift format lint --strict --parallel "${files[@]}"
