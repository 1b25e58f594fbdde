"""The lazy provider import is on by default, switchable off, and changes nothing in the output."""

from __future__ import annotations

import filecmp
import json
import os
import re
import subprocess
import sys
from pathlib import Path

from tests.conftest import PROJECT_ROOT

PYTHON = str(PROJECT_ROOT / ".venv" / "bin" / "python")
PROJECT_SOURCES = [PROJECT_ROOT / "constructs", PROJECT_ROOT / "stacks", PROJECT_ROOT / "blueprint"]


def _synth(outdir: Path, *, naive: bool) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if k not in ("ZTAI_ENVIRONMENTS", "ZTAI_NAIVE_PROVIDER_IMPORT")}
    env["CDKTF_OUTDIR"] = str(outdir)
    if naive:
        env["ZTAI_NAIVE_PROVIDER_IMPORT"] = "1"
    probe = (
        "import runpy, sys; sys.argv = ['main.py'];\n"
        "try:\n    runpy.run_path('main.py', run_name='__main__')\n"
        "except SystemExit as exit:\n"
        "    from blueprint import fast_import\n"
        "    loaded = sorted({m.split('.')[1] for m in sys.modules if m.startswith('cdktf_cdktf_provider_aws.')} "
        "- {'_jsii', '_private'})\n"
        "    print('LAZY' if fast_import.is_active() else 'EAGER', len(loaded), ','.join(loaded))\n"
        "    raise\n"
    )
    # the project path is exactly cdktf.json's app command (python -O main.py); the naive one is plain python
    flags = [] if naive else [a for a in json.loads((PROJECT_ROOT / "cdktf.json").read_text())["app"].split()[1:-1]]
    env.pop("NODE_OPTIONS", None)
    return subprocess.run([PYTHON, *flags, "-c", probe], cwd=PROJECT_ROOT, env=env, capture_output=True, text=True,
                          check=True)


def test_cdktf_app_command_is_the_optimised_path() -> None:
    app = json.loads((PROJECT_ROOT / "cdktf.json").read_text(encoding="utf-8"))["app"]
    assert app == ".venv/bin/python -O main.py"


def test_synthesized_output_is_byte_identical_with_and_without_the_hook(tmp_path: Path) -> None:
    lazy = _synth(tmp_path / "lazy", naive=False)
    naive = _synth(tmp_path / "naive", naive=True)
    lazy_mode, lazy_count, lazy_loaded = lazy.stdout.split()
    naive_mode, naive_count, _ = naive.stdout.split()
    assert (lazy_mode, naive_mode) == ("LAZY", "EAGER")
    # the hook really avoids the eager imports: exactly the resource modules the project imports are loaded,
    # instead of all ~2,135
    used = {m.group(1) for source in PROJECT_SOURCES for path in source.rglob("*.py")
            for m in re.finditer(r"from cdktf_cdktf_provider_aws\.([a-z0-9_]+) import", path.read_text("utf-8"))}
    assert set(lazy_loaded.split(",")) == used
    assert int(naive_count) > 2000 > 10 * int(lazy_count)
    stacks = sorted(p.name for p in (tmp_path / "lazy" / "stacks").iterdir())
    assert stacks == ["dev", "local", "prod", "staging"]
    compared = ["manifest.json"] + [f"stacks/{s}/{f}" for s in stacks for f in ("cdk.tf.json", "constructs.json")]
    match, mismatch, errors = filecmp.cmpfiles(tmp_path / "lazy", tmp_path / "naive", compared, shallow=False)
    assert mismatch == [] and errors == [] and sorted(match) == sorted(compared)


def test_hook_keeps_attribute_access_to_submodules() -> None:
    code = (
        "import sys; sys.path.insert(0, '.'); from blueprint import fast_import; fast_import.install();"
        "import cdktf_cdktf_provider_aws as aws;"
        "assert fast_import.is_active();"
        "assert 'cdktf_cdktf_provider_aws.kms_key' not in sys.modules;"
        "print(aws.kms_key.KmsKey.__name__, 'cdktf_cdktf_provider_aws.kms_key' in sys.modules)"
    )
    result = subprocess.run([sys.executable, "-c", code], cwd=PROJECT_ROOT, capture_output=True, text=True, check=True)
    assert result.stdout.split() == ["KmsKey", "True"]
