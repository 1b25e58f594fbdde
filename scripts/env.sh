# Source this file to use the project's toolchain in your shell:  source scripts/env.sh
# (after scripts/setup.sh). It puts .venv/bin (Python, Node >= 22) and the pinned cdktf CLI first on
# PATH and points Terraform at the project's CLI config (plugin cache / provider mirror).
_ztai_root="$(cd "$(dirname "${BASH_SOURCE[0]:-$0}")/.." && pwd)"
export PATH="$_ztai_root/.venv/bin:$_ztai_root/node_modules/.bin:$PATH"
export TF_CLI_CONFIG_FILE="$_ztai_root/.terraform.d/cli.tfrc"
export CHECKPOINT_DISABLE=1
unset _ztai_root
