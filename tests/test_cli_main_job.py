"""The main job's verdict and console: failures exit non-zero with the error in full, success fits a screen."""

from __future__ import annotations

import argparse
import json
from pathlib import Path
from typing import Any

import pytest

from blueprint.cli import commands as cli
from blueprint.deploy.terraform import TerraformFailed

ARGS = argparse.Namespace(skip_deploy=False, keep_emulator=False, verbose=False)


def _deploy(**overrides: Any) -> dict[str, Any]:
    result = {
        "endpoint": "http://127.0.0.1:5055", "resources": 281, "apply_seconds": 170.0, "apply_attempts": 1,
        "verify_seconds": 4.0, "drill_seconds": 16.0, "idempotent": True, "verify_passed": 134, "verify_failed": 0,
        "failed_checks": [], "drill_total": 76, "drill_wrong": [], "drill_enforced_by_emulator": [],
        "drill_by_method": {"evaluated from the deployed policies": 76},
        "controls_verified": {f"control {i}": "1/1" for i in range(60)},
        "organization": {"stack": "organization-local", "resources": 18, "apply_seconds": 30.0, "apply_attempts": 1,
                         "idempotent": True, "seconds": 50.0, "drill_total": 30, "drill_wrong": []},
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
    monkeypatch.setattr(cli, "cmd_gate", lambda envs, brief=False, echo=True: {
        "ok": True, "passed": 10, "failed": 0, "suppressed": 0, "vacuous": 0, "vacuous_unexplained": 0,
        "seconds": 1.0, "reports": {"summary": "reports/policy-gate/summary.txt"}})
    return monkeypatch


def test_success_prints_a_summary_that_fits_on_a_screen(job: pytest.MonkeyPatch,
                                                         capsys: pytest.CaptureFixture[str]) -> None:
    job.setattr(cli, "cmd_deploy_local", lambda **_: _deploy())
    assert cli.cmd_main_job(ARGS) == 0
    out = capsys.readouterr().out
    assert "result     : OK" in out and "reports/terraform-local.log" in out and "reports/drill.log" in out
    assert "organization: organization-local: 18 resources applied in 30s; second plan clean (idempotent); drill " \
           "30/30 verdicts as expected" in out
    assert len(out.splitlines()) <= 40


@pytest.mark.parametrize(("overrides", "shown"), [
    ({"drill_wrong": ["trainer reads validation/*"]}, "WRONG: trainer reads validation/*"),
    ({"verify_failed": 1, "verify_passed": 133, "failed_checks": ["b: Object Lock"],
      "controls_verified": {"Object Lock": "1/2"}}, "  1/2  Object Lock"),
    ({"idempotent": False}, "second plan NOT clean"),
    ({"organization": {"stack": "organization-local", "resources": 18, "apply_seconds": 30.0, "apply_attempts": 1,
                       "idempotent": True, "seconds": 50.0, "drill_total": 30,
                       "drill_wrong": ["a workload admin stops the trail"]}},
     "WRONG: a workload admin stops the trail"),
    ({"organization": {"stack": "organization-local", "resources": 18, "apply_seconds": 30.0, "apply_attempts": 1,
                       "idempotent": False, "seconds": 50.0, "drill_total": 30, "drill_wrong": []}},
     "organization-local: 18 resources applied in 30s; second plan NOT clean"),
    ({"organization": {"stack": "organization-local", "resources": 18, "apply_seconds": 30.0, "apply_attempts": 1,
                       "idempotent": True, "seconds": 50.0, "drill_total": 0, "drill_wrong": []}},
     "drill 0/0 verdicts"),
])
def test_a_wrong_verdict_or_failed_check_fails_the_job(job: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str],
                                                       overrides: dict[str, Any], shown: str) -> None:
    job.setattr(cli, "cmd_deploy_local", lambda **_: _deploy(**overrides))
    assert cli.cmd_main_job(ARGS) == 1
    out = capsys.readouterr().out
    assert shown in out and "result     : FAILED" in out


def test_a_failed_gate_fails_the_job(job: pytest.MonkeyPatch) -> None:
    job.setattr(cli, "cmd_gate", lambda envs, brief=False, echo=True: {
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


def test_drill_console_shows_progress_and_wrong_verdicts_only(monkeypatch: pytest.MonkeyPatch, tmp_path: Path,
                                                              capsys: pytest.CaptureFixture[str]) -> None:
    """Every verdict and the in-process quarantine function's JSON log lines go to reports/drill.log."""
    import logging

    from blueprint.drill import platform as drill

    def fake_run(endpoint: str, region: str, prefix: str, account: str, say: Any) -> list[Any]:
        verdicts = []
        for i in range(200):
            ok = i != 7
            say(f"  [{'ok' if ok else 'WRONG'}] attempt {i}: expected DENY, got {'DENY' if ok else 'ALLOW'}")
            verdicts.append(drill.Verdict(f"attempt {i}", "DENY", "DENY" if ok else "ALLOW", drill.EVALUATED, "r"))
        logging.getLogger("ztai.quarantine").warning('{"action": "quarantined"}')
        print('{"action": "released"}')
        return verdicts

    monkeypatch.setattr(cli, "REPORTS", tmp_path)
    monkeypatch.setattr(cli, "DRILL_LOG", tmp_path / "drill.log")
    monkeypatch.setattr(drill, "run", fake_run)
    verdicts = cli.run_drill("http://127.0.0.1:1", "us-east-1", "123456789012", mode="plain")
    assert len(verdicts) == 200
    captured = capsys.readouterr()
    console = captured.err.splitlines() + captured.out.splitlines()
    assert "  [WRONG] attempt 7: expected DENY, got ALLOW" in console
    assert not any('"action"' in line for line in console), console
    assert len(console) <= 5, console
    log = (tmp_path / "drill.log").read_text(encoding="utf-8")
    assert log.count("] attempt ") == 200 and '"action": "quarantined"' in log and '"action": "released"' in log
