#!/usr/bin/env bash
# README command 2: set everything up (idempotent), then lint (ruff), type-check (mypy) and run the
# full test suite, including the end-to-end deploy to the local emulator. Extra arguments go to pytest
# (e.g. -m "not e2e" for the fast suite).
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
bash "$ROOT/scripts/setup.sh"
# shellcheck source=scripts/env.sh
source "$ROOT/scripts/env.sh"
cd "$ROOT"
echo "[tests] ruff" >&2
ruff check .
echo "[tests] mypy" >&2
mypy
echo "[tests] pytest" >&2
exec python -m pytest "$@"
