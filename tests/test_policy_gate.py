"""The checkov gate: clean over every environment, every suppression honest, findings mapped to constructs."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from blueprint import gate
from tests.conftest import Synthesized


@pytest.fixture(scope="module")
def gate_result(synthesized: Synthesized) -> gate.GateResult:
    return gate.evaluate(synthesized.outdir)


def test_gate_passes_for_every_environment(gate_result: gate.GateResult) -> None:
    assert gate_result.environments == ["dev", "local", "prod", "staging"]
    assert gate_result.passed > 500
    assert gate_result.failures == [], gate.summary_text(gate_result)


def test_register_has_no_stale_entries(gate_result: gate.GateResult) -> None:
    assert gate_result.unused_suppressions == [], "remove suppressions that no longer match any finding"


def test_every_suppression_has_a_real_reason() -> None:
    entries = gate.load_register()
    assert entries
    for entry in entries:
        assert len(entry.reason) >= gate.MIN_REASON_CHARS and entry.reason.endswith("."), entry


@pytest.mark.parametrize("bad", [
    "- check: CKV_AWS_1\n  construct: '*'\n",
    "- check: CKV_AWS_1\n  construct: '*'\n  reason: too short\n",
    "- check: CKV_AWS_1\n  construct: '*'\n  reason: a reason that is definitely long enough to pass\n  scope: x\n",
])
def test_register_rejects_entries_without_reason_or_with_unknown_keys(tmp_path: Path, bad: str) -> None:
    register = tmp_path / "suppressions.yaml"
    register.write_text(bad, encoding="utf-8")
    with pytest.raises(gate.RegisterError):
        gate.load_register(register)


def test_a_new_insecure_resource_fails_the_gate_and_names_its_construct(synthesized: Synthesized,
                                                                        tmp_path: Path) -> None:
    outdir = tmp_path / "cdktf.out"
    shutil.copytree(synthesized.outdir / "stacks" / "dev", outdir / "stacks" / "dev")
    stack_file = outdir / "stacks" / "dev" / "cdk.tf.json"
    stack = json.loads(stack_file.read_text(encoding="utf-8"))
    stack["resource"]["aws_security_group"]["rogue_sg_1234ABCD"] = {
        "//": {"metadata": {"path": "dev/training_network/rogue_sg", "uniqueId": "rogue_sg_1234ABCD"}},
        "name": "rogue", "description": "ssh from anywhere", "vpc_id": "vpc-123",
        "ingress": [{"from_port": 22, "to_port": 22, "protocol": "tcp", "cidr_blocks": ["0.0.0.0/0"],
                     "description": "ssh", "ipv6_cidr_blocks": [], "prefix_list_ids": [], "security_groups": [],
                     "self": False}],
    }
    stack_file.write_text(json.dumps(stack), encoding="utf-8")
    result = gate.evaluate(outdir)
    assert not result.ok
    failed = {(f.check_id, f.display) for f in result.failures}
    assert ("CKV_AWS_24", "dev/training_network/rogue_sg") in failed  # SSH from 0.0.0.0/0
    finding = next(f for f in result.failures if f.check_id == "CKV_AWS_24")
    assert finding.source_file == "constructs/zero_trust_ai/private_network.py"
    assert finding.resource == "aws_security_group.rogue_sg_1234ABCD"
    reports = gate.write_reports(result, tmp_path / "reports")
    sarif = json.loads(reports["sarif"].read_text(encoding="utf-8"))
    assert any(r["ruleId"] == "CKV_AWS_24" and "suppressions" not in r for r in sarif["runs"][0]["results"])
    junit = reports["junit"].read_text(encoding="utf-8")
    assert 'name="CKV_AWS_24 training_network/rogue_sg"' in junit and "<failure" in junit
