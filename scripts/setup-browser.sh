#!/usr/bin/env bash
# Idempotent: the headless browser that tests/test_surface_picture.py opens the attack-surface SVGs in.
#   * Debian's chromium (/usr/bin/chromium), driven through its own command line (--screenshot, --dump-dom);
#   * fonts-liberation: Liberation Sans has Arial's metrics, the metrics Graphviz lays the labels out with, so
#     the browser draws each label in the width that was reserved for it.
# Nothing is downloaded outside the Debian registry; apt-get runs only when something is missing.
set -euo pipefail
log() { printf '[setup-browser] %s\n' "$*" >&2; }
CHROMIUM=/usr/bin/chromium
FONT=/usr/share/fonts/truetype/liberation/LiberationSans-Regular.ttf
if [[ -x "$CHROMIUM" && -f "$FONT" ]]; then
  exit 0
fi
command -v apt-get >/dev/null || { log "chromium and fonts-liberation are needed and apt-get is missing: install them by hand"; exit 1; }
SUDO=()
[[ "$(id -u)" -eq 0 ]] || SUDO=(sudo)
log "installing chromium and fonts-liberation from Debian"
"${SUDO[@]}" apt-get update -q >&2
DEBIAN_FRONTEND=noninteractive "${SUDO[@]}" apt-get install -y -q --no-install-recommends chromium fonts-liberation >&2
[[ -x "$CHROMIUM" ]] || { log "apt-get finished but $CHROMIUM is missing"; exit 1; }
log "ready: $("$CHROMIUM" --version 2>/dev/null)"
