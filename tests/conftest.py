"""Shared fixtures: one synthesis of every environment per test session (synth is the slow part)."""

from __future__ import annotations

import json
import os
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

PROJECT_ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(PROJECT_ROOT / "constructs"))

from stacks.config.loader import load_all  # noqa: E402
from stacks.config.model import LoadedEnvironment  # noqa: E402

ENVIRONMENTS = ("dev", "local", "prod", "staging")
# names an existing synthesized outdir to test instead of synthesizing (tests/mutations/harness.py)
SYNTH_DIR_VARIABLE = "ZTAI_TEST_SYNTH_DIR"


@dataclass
class Synthesized:
    outdir: Path
    environments: dict[str, LoadedEnvironment]

    def stack(self, env: str) -> dict[str, Any]:
        return json.loads((self.outdir / "stacks" / env / "cdk.tf.json").read_text(encoding="utf-8"))


@pytest.fixture(scope="session")
def loaded_environments() -> dict[str, LoadedEnvironment]:
    return {e.name: e for e in load_all(PROJECT_ROOT / "environments", display_root=PROJECT_ROOT)}


@pytest.fixture(scope="session")
def synthesized(tmp_path_factory: pytest.TempPathFactory,
                loaded_environments: dict[str, LoadedEnvironment]) -> Synthesized:
    reuse = os.environ.get(SYNTH_DIR_VARIABLE)
    if reuse and (Path(reuse) / "stacks").is_dir():  # an existing outdir (the mutation harness's mutants)
        return Synthesized(outdir=Path(reuse), environments=loaded_environments)
    from stacks.synth import synthesize

    outdir = tmp_path_factory.mktemp("synth") / "cdktf.out"
    synthesize(list(loaded_environments.values()), outdir)
    return Synthesized(outdir=outdir, environments=loaded_environments)


@pytest.fixture(params=ENVIRONMENTS)
def env_name(request: pytest.FixtureRequest) -> str:
    return str(request.param)
