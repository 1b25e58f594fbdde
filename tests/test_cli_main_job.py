"""The main job's verdict and console: failures exit non-zero with the error in full, success fits a screen."""

from __future__ import annotations

import argparse
import json
from pathlib import Path
from typing import Any

import pytest

from blueprint import cli
from blueprint.terraform import TerraformFailed

ARGS = argparse.Namespace(skip_deploy=False, keep_emulator=False, verbose=False)


def _deploy(**overrides: Any) -> dict[str, Any]:
    result = {
        "endpoint": "http://127.0.0.1:5055", "resources": 281, "apply_seconds": 170.0, "apply_attempts": 1,
        "verify_seconds": 4.0, "drill_seconds": 16.0, "idempotent": True, "verify_passed": 134, "verify_failed": 0,
        "failed_checks": [], "drill_total": 76, "drill_wrong": [], "drill_enforced_by_emulator": [],
        "drill_by_method": {"evaluated from the deployed policies": 76},
        "controls_verified": {f"control {i}": "1/1" for i in range(60)},
        "capability_switches": ["Security Hub"],
        "emulator_gaps": [{"control": "Security Hub", "handling": "not enabled"}] * 12,
        "logs": {"terraform": "reports/terraform-local.log", "emulator": "reports/emulator-5055.log",
                 "drill": "reports/drill.log", "verify": "reports/verify.txt"},
    }
    return {**result, **overrides}


@pytest.fixture
def job(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> pytest.MonkeyPatch:
    monkeypatch.setattr(cli, "REPORTS", tmp_path)
    monkeypatch.setattr(cli, "cmd_synth", lambda envs: {"seconds": 1.0, "resources": {"local": 279}})
    monkeypatch.setattr(cli, "cmd_gate", lambda envs, brief=False: {
        "ok": True, "passed": 10, "failed": 0, "suppressed": 0, "vacuous": 0, "vacuous_unexplained": 0,
        "seconds": 1.0, "reports": {"summary": "reports/policy-gate/summary.txt"}})
    return monkeypatch


def test_success_prints_a_summary_that_fits_on_a_screen(job: pytest.MonkeyPatch,
                                                         capsys: pytest.CaptureFixture[str]) -> None:
    job.setattr(cli, "cmd_deploy_local", lambda **_: _deploy())
    assert cli.cmd_main_job(ARGS) == 0
    out = capsys.readouterr().out
    assert "result     : OK" in out and "reports/terraform-local.log" in out and "reports/drill.log" in out
    assert len(out.splitlines()) <= 40


@pytest.mark.parametrize(("overrides", "shown"), [
    ({"drill_wrong": ["trainer reads validation/*"]}, "WRONG: trainer reads validation/*"),
    ({"verify_failed": 1, "verify_passed": 133, "failed_checks": ["b: Object Lock"],
      "controls_verified": {"Object Lock": "1/2"}}, "  1/2  Object Lock"),
    ({"idempotent": False}, "second plan NOT clean"),
])
def test_a_wrong_verdict_or_failed_check_fails_the_job(job: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str],
                                                       overrides: dict[str, Any], shown: str) -> None:
    job.setattr(cli, "cmd_deploy_local", lambda **_: _deploy(**overrides))
    assert cli.cmd_main_job(ARGS) == 1
    out = capsys.readouterr().out
    assert shown in out and "result     : FAILED" in out


def test_a_failed_gate_fails_the_job(job: pytest.MonkeyPatch) -> None:
    job.setattr(cli, "cmd_gate", lambda envs, brief=False: {
        "ok": False, "passed": 9, "failed": 1, "suppressed": 0, "vacuous": 0, "vacuous_unexplained": 0,
        "seconds": 1.0, "reports": {}})
    job.setattr(cli, "cmd_deploy_local", lambda **_: _deploy())
    assert cli.cmd_main_job(ARGS) == 1


def test_a_failed_apply_prints_the_error_in_full_and_the_log(job: pytest.MonkeyPatch, tmp_path: Path,
                                                             capsys: pytest.CaptureFixture[str]) -> None:
    message = ("`terraform apply -json` failed in cdktf.out/stacks/local (exit 1)\n"
               "  aws_iam_role_policy_attachment.missing: attaching IAM Policy ... NoSuchEntity: does not exist\n"
               "full log: reports/terraform-local.log")

    def fail(**_: Any) -> dict[str, Any]:
        raise TerraformFailed(message)

    job.setattr(cli, "cmd_deploy_local", fail)
    assert cli.cmd_main_job(ARGS) == 1
    err = capsys.readouterr().err
    assert message in err
    assert json.loads((tmp_path / "main-job.json").read_text(encoding="utf-8"))["ok"] is False
