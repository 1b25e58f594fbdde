"""The checkov gate: clean over every environment, every suppression honest, findings mapped to constructs,
and no pass counted from a check that cannot read its input (issue 22)."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from blueprint.gate import runner as gate
from tests.conftest import Synthesized


@pytest.fixture(scope="module")
def gate_result(synthesized: Synthesized) -> gate.GateResult:
    return gate.evaluate(synthesized.outdir)


def test_gate_passes_for_every_environment(gate_result: gate.GateResult) -> None:
    assert gate_result.environments == ["dev", "local", "prod", "staging"]
    assert gate_result.passed > 500
    assert gate_result.failures == [], gate.summary_text(gate_result)
    assert gate_result.vacuous == [], gate.summary_text(gate_result)
    assert gate_result.twin_of in gate_result.environments


def test_the_twin_shows_what_checkov_cannot_read_in_the_synthesized_json(gate_result: gate.GateResult) -> None:
    blind = {(b.check_id, b.resource_type, b.rendering): b.covered_by for b in gate_result.blind_spots}
    # issue 22: as synthesized, policies are JSON strings; these checks pass a key/queue/bucket policy that
    # grants everything to everyone. The static plan rendering decodes the policies and they fail it there.
    for check_id, resource_type in (("CKV_AWS_33", "aws_kms_key"), ("CKV_AWS_72", "aws_sqs_queue_policy"),
                                    ("CKV_AWS_387", "aws_sqs_queue_policy"), ("CKV_AWS_93", "aws_s3_bucket_policy")):
        assert blind[(check_id, resource_type, gate.AS_SYNTHESIZED)] == (gate.STATIC_PLAN,)
        assert (check_id, resource_type, gate.STATIC_PLAN) not in blind
    # checkov's IAM analyses return UNKNOWN on JSON strings (no result at all): only the plan rendering has them
    for check_id in ("CKV_AWS_286", "CKV_AWS_287", "CKV_AWS_288", "CKV_AWS_289", "CKV_AWS_290", "CKV_AWS_355"):
        assert gate_result.one_rendering[(check_id, "aws_iam_role_policy")] == (gate.STATIC_PLAN,)
    # a check blind in every rendering is a vacuous pass: each one is explained in the register
    explained = {(f.check_id, f.resource.split(".", 1)[0]) for f in gate_result.vacuous_explained}
    for spot in gate_result.blind_spots:
        assert spot.covered_by or (spot.check_id, spot.resource_type) in explained, spot
    summary = gate.summary_text(gate_result)
    assert "blind CKV_AWS_33 aws_kms_key in terraform_json: read in terraform_plan" in summary
    assert f"{len(gate_result.vacuous) + len(gate_result.vacuous_explained)} vacuous" in summary.splitlines()[0]


def test_the_explained_vacuous_pass_stays_true(synthesized: Synthesized, env_name: str) -> None:
    # the register explains CKV_AWS_93's vacuous pass on aws_s3_bucket by "no bucket has an inline policy"
    for bucket in synthesized.stack(env_name)["resource"]["aws_s3_bucket"].values():
        assert "policy" not in bucket


def _record(label: str, rendering: str, check_id: str, resource: str, result: str) -> gate.Record:
    return gate.Record(label=label, rendering=rendering, check_id=check_id, check_name=f"{check_id} name",
                       resource=resource, result=result)


def test_a_pass_counts_only_where_the_check_can_read_its_input() -> None:
    as_synthesized, plan, twin = gate.AS_SYNTHESIZED, gate.STATIC_PLAN, gate.TWIN
    made = gate.Twin(document={}, base="dev", broken={"aws_kms_key": {"aws_kms_key.broken"}},
                     empty={"aws_kms_key": "aws_kms_key.empty"})
    records = [
        # the twin: CKV_AWS_33 passes the broken key only as synthesized; CKV_X passes it in both renderings;
        # CKV_Y passes the broken key but fails the empty one (it reads presence): not blind
        _record(twin, as_synthesized, "CKV_AWS_33", "aws_kms_key.broken", "PASSED"),
        _record(twin, as_synthesized, "CKV_AWS_33", "aws_kms_key.empty", "PASSED"),
        _record(twin, plan, "CKV_AWS_33", "aws_kms_key.broken", "FAILED"),
        _record(twin, as_synthesized, "CKV_X", "aws_kms_key.broken", "PASSED"),
        _record(twin, plan, "CKV_X", "aws_kms_key.broken", "PASSED"),
        _record(twin, plan, "CKV_Y", "aws_kms_key.broken", "PASSED"),
        _record(twin, plan, "CKV_Y", "aws_kms_key.empty", "FAILED"),
        # the real stack
        _record("dev", as_synthesized, "CKV_AWS_33", "aws_kms_key.a", "PASSED"),  # read in the plan: passed
        _record("dev", plan, "CKV_AWS_33", "aws_kms_key.a", "PASSED"),
        _record("dev", as_synthesized, "CKV_AWS_33", "aws_kms_key.b", "PASSED"),  # only blind: vacuous
        _record("dev", as_synthesized, "CKV_X", "aws_kms_key.a", "PASSED"),  # blind everywhere: vacuous
        _record("dev", plan, "CKV_X", "aws_kms_key.a", "PASSED"),
        _record("dev", plan, "CKV_Y", "aws_kms_key.a", "PASSED"),  # reads its input: passed
        _record("dev", as_synthesized, "CKV_Z", "aws_kms_key.a", "PASSED"),  # fails in one rendering: failed
        _record("dev", plan, "CKV_Z", "aws_kms_key.a", "FAILED"),
    ]
    indexes = {"dev": ({"aws_kms_key.a": "dev/keys/a/key", "aws_kms_key.b": "dev/keys/b/key"}, {})}
    result = gate.classify(gate.Scan(records, made, 1.0), indexes, [])
    assert result.passed == result.passed_by_environment["dev"] == 2
    assert sorted((f.check_id, f.construct_path, f.renderings) for f in result.vacuous) == [
        ("CKV_AWS_33", "keys/b/key", (as_synthesized,)), ("CKV_X", "keys/a/key", (as_synthesized, plan))]
    assert [(f.check_id, f.renderings) for f in result.failures] == [("CKV_Z", (plan,))]
    assert not result.ok
    assert gate.Blindness("CKV_AWS_33", "aws_kms_key", as_synthesized, (plan,)) in result.blind_spots
    assert gate.Blindness("CKV_X", "aws_kms_key", plan, ()) in result.blind_spots
    # an explanation in the register moves a vacuous pass out of the way, never into "passed"
    reason = gate.Suppression("CKV_X", "keys/*", "CKV_X reads an attribute these keys never set, explained.")
    explained = gate.classify(gate.Scan(records, made, 1.0), indexes, [reason])
    assert [f.check_id for f in explained.vacuous] == ["CKV_AWS_33"]
    assert [f.suppressed_by for f in explained.vacuous_explained] == [reason.reason]
    assert explained.passed == 2 and explained.unused_suppressions == []


def test_the_broken_twin_breaks_policies_and_adds_an_empty_resource_per_type() -> None:
    document = {"resource": {
        "aws_kms_key": {"k": {"//": {"metadata": {"path": "dev/keys/k"}}, "enable_key_rotation": True,
                              "policy": json.dumps({"Statement": [{"Effect": "Allow", "Action": "kms:Decrypt",
                                                                   "Principal": {"AWS": "arn:role"}}]})}},
        "aws_security_group": {"sg": {"name": "x", "ingress": []}},
    }}
    made = gate.broken_twin({"dev": document})
    keys = made.document["resource"]["aws_kms_key"]
    assert json.loads(keys["k"]["policy"]) == gate.HOSTILE_POLICY
    assert keys["k"]["enable_key_rotation"] is False and keys["k"]["//"] == document["resource"]["aws_kms_key"][
        "k"]["//"]
    assert keys[made.empty["aws_kms_key"].split(".", 1)[1]] == {}
    assert made.document["resource"]["aws_security_group"]["sg"]["ingress"][0]["cidr_blocks"] == ["0.0.0.0/0"]
    assert made.broken == {"aws_kms_key": {"aws_kms_key.k"}, "aws_security_group": {"aws_security_group.sg"}}
    assert document["resource"]["aws_kms_key"]["k"]["enable_key_rotation"] is True  # the input is untouched
    plan = gate.render_plan(document)
    (key,) = [r for r in plan["planned_values"]["root_module"]["resources"] if r["type"] == "aws_kms_key"]
    assert key["address"] == "aws_kms_key.k" and key["values"]["policy"] == document["resource"]["aws_kms_key"][
        "k"]["policy"]


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
    """A rogue SSH rule, and the issue-22 regression: a key-policy grant whose principal became {"AWS": "*"}."""
    outdir = tmp_path / "cdktf.out"
    shutil.copytree(synthesized.outdir / "stacks" / "dev", outdir / "stacks" / "dev")
    stack_file = outdir / "stacks" / "dev" / "cdk.tf.json"
    stack = json.loads(stack_file.read_text(encoding="utf-8"))
    stack["resource"]["aws_security_group"]["rogue_sg_1234ABCD"] = {
        "//": {"metadata": {"path": "dev/platform/training_network/rogue_sg", "uniqueId": "rogue_sg_1234ABCD"}},
        "name": "rogue", "description": "ssh from anywhere", "vpc_id": "vpc-123",
        "ingress": [{"from_port": 22, "to_port": 22, "protocol": "tcp", "cidr_blocks": ["0.0.0.0/0"],
                     "description": "ssh", "ipv6_cidr_blocks": [], "prefix_list_ids": [], "security_groups": [],
                     "self": False}],
    }
    keys = stack["resource"]["aws_kms_key"]
    key_id = next(name for name, body in keys.items()
                  if body["//"]["metadata"]["path"] == "dev/platform/keys/features/key")
    key_policy = json.loads(keys[key_id]["policy"])
    grant = next(s for s in key_policy["Statement"] if "kms:Decrypt" in s["Action"] and "root" not in str(s))
    grant["Principal"] = {"AWS": "*"}
    keys[key_id]["policy"] = json.dumps(key_policy)
    stack_file.write_text(json.dumps(stack), encoding="utf-8")
    # failures do not depend on the broken twin (it only decides which passes count): skip its scan here
    result = gate.evaluate(outdir, twin=False)
    assert not result.ok
    failed = {(f.check_id, f.display) for f in result.failures}
    assert ("CKV_AWS_24", "dev/training_network/rogue_sg") in failed  # SSH from 0.0.0.0/0
    # checkov passed this as synthesized (issue 22); the gate's plan rendering lets it read the policy
    wildcard = next(f for f in result.failures if f.check_id == "CKV_AWS_33")
    assert (wildcard.display, wildcard.resource, wildcard.renderings) == (
        "dev/keys/features/key", f"aws_kms_key.{key_id}", (gate.STATIC_PLAN,))
    assert ("CKV_ZTAI_011", "dev/keys/features/key") in failed
    finding = next(f for f in result.failures if f.check_id == "CKV_AWS_24")
    assert finding.source_file == "constructs/zero_trust_ai/private_network.py"
    assert finding.resource == "aws_security_group.rogue_sg_1234ABCD"
    reports = gate.write_reports(result, tmp_path / "reports")
    sarif = json.loads(reports["sarif"].read_text(encoding="utf-8"))
    assert any(r["ruleId"] == "CKV_AWS_24" and "suppressions" not in r for r in sarif["runs"][0]["results"])
    junit = reports["junit"].read_text(encoding="utf-8")
    assert 'name="CKV_AWS_24 training_network/rogue_sg"' in junit and "<failure" in junit
