"""The `ztai` console script: --help, doctor (with a deliberately broken PATH), the module form."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from blueprint.cli import commands as cli

PROJECT_ROOT = Path(__file__).resolve().parent.parent
ZTAI = Path(sys.executable).with_name("ztai")
SUBCOMMANDS = ("synth", "gate", "deploy", "destroy", "drill", "map", "emulator", "doctor", "main-job")


def _run(args: list[str], env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(args, cwd=PROJECT_ROOT, capture_output=True, text=True, timeout=120,
                          env=env if env is not None else dict(os.environ), check=False)


def test_console_script_help_lists_the_subcommands() -> None:
    assert ZTAI.exists(), "the ztai console script is not installed: run ./scripts/setup.sh"
    result = _run([str(ZTAI), "--help"])
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith("usage: ztai")
    for name in SUBCOMMANDS:
        assert f"    {name} " in result.stdout, name


def test_module_form_keeps_working() -> None:
    result = _run([sys.executable, "-m", "blueprint.cli", "--help"])
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith("usage: python -m blueprint.cli")


def test_doctor_runs() -> None:
    result = _run([str(ZTAI), "doctor"])
    # every check prints a line; exit status says whether any is a problem
    for name in ("python", "terraform", "provider source", "node", "cdktf CLI", "disk"):
        assert f"  {name} " in result.stdout, (name, result.stdout)
    problems = [line for line in result.stdout.splitlines() if line.startswith("  BAD")]
    assert result.returncode == (1 if problems else 0), result.stdout


def test_doctor_reports_missing_terraform_with_a_fix(tmp_path: Path) -> None:
    # a PATH with python but without terraform
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    env = {**os.environ, "PATH": str(bin_dir)}
    assert shutil.which("terraform", path=env["PATH"]) is None
    result = _run([str(ZTAI), "doctor"], env=env)
    assert result.returncode == 1, result.stdout
    lines = result.stdout.splitlines()
    (index,) = [i for i, line in enumerate(lines) if line.startswith("  BAD  terraform ")]
    assert "not found on PATH" in lines[index]
    assert lines[index + 1].startswith("       fix: install Terraform >= 1.10")
    assert "problem(s)" in lines[-1]


def test_doctor_reports_an_old_terraform(tmp_path: Path) -> None:
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    fake = bin_dir / "terraform"
    fake.write_text('#!/bin/sh\necho \'{"terraform_version": "1.5.7"}\'\n', encoding="utf-8")
    fake.chmod(0o755)
    findings = {f.name: f for f in cli.doctor_checks({**os.environ, "PATH": str(bin_dir)})}
    assert not findings["terraform"].ok and findings["terraform"].detail.startswith("1.5.7")
    assert "upgrade Terraform to >= 1.10" in findings["terraform"].fix


def test_doctor_reports_a_mirror_without_registry_folder(tmp_path: Path) -> None:
    findings = {f.name: f for f in cli.doctor_checks({**os.environ, "ZTAI_PROVIDER_MIRROR": str(tmp_path)})}
    assert not findings["provider source"].ok
    assert "ZTAI_PROVIDER_MIRROR" in findings["provider source"].fix
    (tmp_path / "registry.terraform.io").mkdir()
    findings = {f.name: f for f in cli.doctor_checks({**os.environ, "ZTAI_PROVIDER_MIRROR": str(tmp_path)})}
    assert findings["provider source"].ok


@pytest.mark.parametrize("command", ["run-main.sh"])
def test_scripts_use_the_console_script(command: str) -> None:
    text = (PROJECT_ROOT / "scripts" / command).read_text(encoding="utf-8")
    assert "exec ztai main-job" in text
