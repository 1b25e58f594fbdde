#!/usr/bin/env bash
# README command 1: set everything up (idempotent), then run the main job:
# synthesize every environment, run the policy gate, deploy `local` to the emulator, verify it,
# and print a summary. Extra arguments go to `ztai main-job` (e.g. --keep-emulator, --skip-deploy,
# --verbose to stream every terraform line instead of the progress display).
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
bash "$ROOT/scripts/setup.sh"
# shellcheck source=scripts/env.sh
source "$ROOT/scripts/env.sh"
cd "$ROOT"
exec ztai main-job "$@"
