"""Every environment synthesizes, terraform accepts it, and main.py writes the layout cdktf expects."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from pathlib import Path

import pytest

from blueprint.deploy.terraform import terraform_env
from blueprint.gate import runner as gate
from stacks.config import loader, pki
from tests.conftest import ENVIRONMENTS, PROJECT_ROOT, Synthesized


def test_one_stack_per_environment_file(synthesized: Synthesized) -> None:
    stacks = sorted(p.name for p in (synthesized.outdir / "stacks").iterdir())
    workloads = [p for p in (PROJECT_ROOT / "environments").glob("*.yaml") if not loader.is_organization_file(p)]
    assert workloads and stacks == sorted(p.stem for p in workloads)
    assert stacks == sorted(ENVIRONMENTS)
    manifest = json.loads((synthesized.outdir / "manifest.json").read_text(encoding="utf-8"))
    assert sorted(manifest["stacks"]) == sorted(ENVIRONMENTS)


def test_terraform_validate_accepts_every_environment(synthesized: Synthesized, tmp_path: Path,
                                                      env_name: str) -> None:
    # the stack directory at its usual depth below a project root, so `../../../` paths resolve
    project = tmp_path / "project"
    workdir = project / "cdktf.out" / "stacks" / env_name
    shutil.copytree(synthesized.outdir / "stacks" / env_name, workdir)
    # what `blueprint emulator start` does before a deploy of an environment with an imported certificate
    pki.prepare_imported_certificate(synthesized.environments[env_name].config, root=project)
    env = terraform_env()
    init = subprocess.run(["terraform", "init", "-backend=false", "-input=false", "-no-color"], cwd=workdir,
                          env=env, capture_output=True, text=True, check=False)
    assert init.returncode == 0, init.stdout + init.stderr
    validate = subprocess.run(["terraform", "validate", "-json", "-no-color"], cwd=workdir, env=env,
                              capture_output=True, text=True, check=False)
    report = json.loads(validate.stdout)
    assert report["valid"], report["diagnostics"]
    assert report["error_count"] == 0


def test_provider_and_backend_per_environment(synthesized: Synthesized, env_name: str) -> None:
    stack = synthesized.stack(env_name)
    config = synthesized.environments[env_name].config
    (provider,) = stack["provider"]["aws"]
    assert provider["region"] == config.region
    tags = provider["default_tags"][0]["tags"]
    assert tags["ztai:environment"] == env_name
    for key, value in config.tags.items():
        assert tags[key] == value
    backend = stack["terraform"]["backend"]
    if config.emulator is not None:
        assert set(backend) == {"local"}
        assert backend["local"]["path"] == f"../../../.state/terraform.{env_name}.tfstate"
        endpoints = provider["endpoints"][0]
        assert endpoints and set(endpoints.values()) == {config.emulator.endpoint}
        assert provider["max_retries"] == config.emulator.max_retries <= 5
        assert "access_key" not in provider and "secret_key" not in provider
    else:
        s3 = backend["s3"]
        assert s3["encrypt"] is True and s3["use_lockfile"] is True
        assert s3["key"] == f"ai-platform/{env_name}/terraform.tfstate"
        assert provider["allowed_account_ids"] == [config.account_id]
        assert "endpoints" not in provider


def test_selecting_a_subset_with_the_documented_switch(tmp_path: Path) -> None:
    env = {**os.environ, "ZTAI_ENVIRONMENTS": "prod", "CDKTF_OUTDIR": str(tmp_path / "out")}
    result = subprocess.run([str(PROJECT_ROOT / ".venv" / "bin" / "python"), "main.py"], cwd=PROJECT_ROOT,
                            env=env, capture_output=True, text=True, check=False)
    assert result.returncode == 0, result.stderr
    assert sorted(p.name for p in (tmp_path / "out" / "stacks").iterdir()) == ["prod"]
    assert "Node 20 is end-of-life" not in result.stdout + result.stderr
    assert not list(tmp_path.glob(".out.staging-*")), "staging directory left behind"


@pytest.mark.parametrize("env", ["local"])
def test_construct_index_maps_paths_to_project_sources(synthesized: Synthesized, env: str) -> None:
    index = json.loads((synthesized.outdir / "stacks" / env / "constructs.json").read_text(encoding="utf-8"))
    assert index[f"{env}/platform/training_network"]["source"] == "constructs/zero_trust_ai/private_network.py"
    assert index[f"{env}/platform/data_lake/models"]["source"] == "constructs/zero_trust_ai/secure_bucket.py"
    assert index[f"{env}/platform"]["source"] == "constructs/zero_trust_ai/platform.py"
    assert index[env]["source"] == "stacks/platform_stack.py"
    # provider-level resources are not listed: the gate maps them to the nearest listed ancestor
    assert f"{env}/platform/training_network/vpc" not in index
    assert gate._source_for(f"{env}/platform/training_network/vpc", index) == \
        "constructs/zero_trust_ai/private_network.py"


def test_npx_cdktf_synth_runs_the_app_and_writes_every_stack(tmp_path: Path, synthesized: Synthesized) -> None:
    """The README's `npx cdktf synth` (pinned cdktf-cli, Node from the venv) produces the same stacks."""
    env = {k: v for k, v in os.environ.items() if k not in ("CDKTF_OUTDIR", "ZTAI_ENVIRONMENTS")}
    env["PATH"] = f"{PROJECT_ROOT / '.venv' / 'bin'}:{PROJECT_ROOT / 'node_modules' / '.bin'}:{env['PATH']}"
    env["CHECKPOINT_DISABLE"] = "1"
    result = subprocess.run(["npx", "cdktf", "synth", "--output", str(tmp_path / "out")], cwd=PROJECT_ROOT, env=env,
                            capture_output=True, text=True, check=False)
    assert result.returncode == 0, result.stdout[-2000:] + result.stderr[-2000:]
    assert "end-of-life" not in result.stdout + result.stderr
    for env_name in ENVIRONMENTS:
        produced = (tmp_path / "out" / "stacks" / env_name / "cdk.tf.json").read_bytes()
        assert produced == (synthesized.outdir / "stacks" / env_name / "cdk.tf.json").read_bytes(), env_name
