"""A synthesis prints no Node deprecation warning (DEP0044 util.isArray from cdktf 0.21.0's TerraformOutput).

The warning is silenced in the jsii kernel process only (stacks/jsii_runtime/__init__.py: KERNEL_WARNING_FLAGS);
the environment of the test process and of anything else keeps NODE_OPTIONS untouched.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parent.parent

SYNTH = """
import os, sys
from pathlib import Path
sys.path.insert(0, str(Path.cwd() / "constructs"))
from stacks.config.loader import load_all
from stacks.synth import synthesize
loaded = load_all(Path("environments"), only=["local"], display_root=Path("."))
synthesize(loaded, Path(sys.argv[1]))
print("NODE_OPTIONS after synth:", os.environ.get("NODE_OPTIONS"))
"""


def test_synth_stderr_has_no_deprecation_warning(tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if k not in ("NODE_OPTIONS", "ZTAI_NAIVE_PROVIDER_IMPORT")}
    result = subprocess.run([sys.executable, "-c", SYNTH, str(tmp_path / "out")], cwd=PROJECT_ROOT, env=env,
                            capture_output=True, text=True, timeout=600, check=False)
    assert result.returncode == 0, result.stderr[-3000:]
    assert (tmp_path / "out" / "stacks" / "local" / "cdk.tf.json").exists()
    # the stack has outputs, so cdktf's TerraformOutput path (the util.isArray caller) ran
    assert '"output"' in (tmp_path / "out" / "stacks" / "local" / "cdk.tf.json").read_text(encoding="utf-8")
    assert "DEP0044" not in result.stderr and "DeprecationWarning" not in result.stderr, result.stderr[-3000:]
    # the flag never leaked into this process's environment (so not into terraform or the cdktf CLI)
    assert "NODE_OPTIONS after synth: None" in result.stdout
