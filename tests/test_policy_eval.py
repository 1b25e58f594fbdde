"""The policy evaluator follows AWS's documented evaluation logic.

Every hand-written parity case (tests/parity/hand_cases.py: explicit Deny in each policy type, SCP/RCP/endpoint/
boundary/session guardrails, same- vs cross-account, KMS key and trust policies, principal matching, names and
wildcards, policy variables, every condition operator family) carries the result AWS documents and is asserted
here; tests/test_policy_parity.py compares the same cases with an independent evaluator. Below: the API the drill
uses, the recording hook and a few behaviours spelled out.
"""

from __future__ import annotations

import pytest

from blueprint.drill import policy_eval
from blueprint.drill.policy_eval import Request, evaluate
from tests.parity import hand_cases
from tests.parity.harness import Case, ours

ROLE = "arn:aws:iam::123456789012:role/ztai-x-trainer"
OBJ = "arn:aws:s3:::bucket/training/a.parquet"
ALLOW_READ = {
    "Version": "2012-10-17",
    "Statement": [{"Effect": "Allow", "Action": ["s3:GetObject"], "Resource": "arn:aws:s3:::bucket/training/*"}],
}


@pytest.mark.parametrize("case", hand_cases.CASES, ids=lambda c: c.id.removeprefix("hand/"))
def test_documented_result(case: Case) -> None:
    assert ours(case) == case.expected, case.note


def test_allow_deny_and_implicit_deny() -> None:
    assert evaluate(Request(ROLE, "s3:GetObject", OBJ), identity_policies=[ALLOW_READ]).allowed
    assert not evaluate(Request(ROLE, "s3:PutObject", OBJ), identity_policies=[ALLOW_READ]).allowed
    deny = {"Statement": [{"Sid": "No", "Effect": "Deny", "Principal": {"AWS": ROLE}, "Action": "s3:*",
                           "Resource": "arn:aws:s3:::bucket/*"}]}
    decision = evaluate(Request(ROLE, "s3:GetObject", OBJ), identity_policies=[ALLOW_READ], resource_policies=[deny])
    assert not decision.allowed and "explicit Deny No" in decision.reason
    other = evaluate(Request("arn:aws:iam::123456789012:role/other", "s3:GetObject", OBJ),
                     identity_policies=[ALLOW_READ], resource_policies=[deny])
    assert other.allowed  # the Deny names another principal


def test_tls_deny_uses_the_request_context() -> None:
    tls = {"Statement": [{"Sid": "Tls", "Effect": "Deny", "Principal": {"AWS": "*"}, "Action": "s3:*",
                          "Resource": "arn:aws:s3:::bucket/*",
                          "Condition": {"Bool": {"aws:SecureTransport": "false"}}}]}
    secure = Request(ROLE, "s3:GetObject", OBJ, {"aws:SecureTransport": "true"})
    plain = Request(ROLE, "s3:GetObject", OBJ, {"aws:SecureTransport": False})
    assert evaluate(secure, identity_policies=[ALLOW_READ], resource_policies=[tls]).allowed
    assert not evaluate(plain, identity_policies=[ALLOW_READ], resource_policies=[tls]).allowed


def test_if_exists_and_null_semantics() -> None:
    key = "s3:x-amz-server-side-encryption-aws-kms-key-id"
    if_exists = {"Statement": [{"Effect": "Deny", "Principal": {"AWS": "*"}, "Action": "s3:GetObject",
                                "Resource": "*", "Condition": {"StringNotEqualsIfExists": {key: "k1"}}}]}
    present_only = {"Statement": [{"Effect": "Deny", "Principal": {"AWS": "*"}, "Action": "s3:GetObject",
                                   "Resource": "*",
                                   "Condition": {"StringNotEquals": {key: "k1"}, "Null": {key: "false"}}}]}
    missing = Request(ROLE, "s3:GetObject", OBJ)
    wrong = Request(ROLE, "s3:GetObject", OBJ, {key: "k2"})
    # ...IfExists is true when the key is missing -> such a Deny blocks requests without the header
    assert not evaluate(missing, identity_policies=[ALLOW_READ], resource_policies=[if_exists]).allowed
    assert evaluate(missing, identity_policies=[ALLOW_READ], resource_policies=[present_only]).allowed
    assert not evaluate(wrong, identity_policies=[ALLOW_READ], resource_policies=[present_only]).allowed


def test_boundary_caps_identity_policies_and_trust_conditions() -> None:
    boundary = {"Statement": [{"Effect": "Allow", "Action": ["s3:PutObject"], "Resource": "*"}]}
    assert not evaluate(Request(ROLE, "s3:GetObject", OBJ), identity_policies=[ALLOW_READ], boundary=boundary).allowed
    target = "arn:aws:iam::123456789012:role/ztai-x-target"
    trust = {"Statement": [{"Effect": "Allow", "Principal": {"AWS": ROLE}, "Action": "sts:AssumeRole",
                            "Condition": {"Bool": {"aws:MultiFactorAuthPresent": "true"},
                                          "NumericLessThan": {"aws:MultiFactorAuthAge": "3600"}}}]}
    fresh = {"aws:MultiFactorAuthPresent": "true", "aws:MultiFactorAuthAge": "60"}
    stale = {"aws:MultiFactorAuthPresent": "true", "aws:MultiFactorAuthAge": "7200"}
    assert evaluate(Request(ROLE, "sts:AssumeRole", target, fresh), identity_policies=[],
                    resource_policies=[trust]).allowed
    assert not evaluate(Request(ROLE, "sts:AssumeRole", target, stale), identity_policies=[],
                        resource_policies=[trust]).allowed
    assert not evaluate(Request(ROLE, "sts:AssumeRole", target), identity_policies=[],
                        resource_policies=[trust]).allowed
    # no trust policy: nobody assumes the role, whatever the identity policies say
    assume_all = {"Statement": [{"Effect": "Allow", "Action": "sts:AssumeRole", "Resource": "*"}]}
    assert not evaluate(Request(ROLE, "sts:AssumeRole", target, fresh), identity_policies=[assume_all]).allowed


def test_resource_policy_required_is_inferred_and_can_be_forced() -> None:
    key = "arn:aws:kms:us-east-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab"
    assert policy_eval.resource_policy_required("kms:Decrypt", key)
    assert policy_eval.resource_policy_required("sts:AssumeRole", "arn:aws:iam::123456789012:role/x")
    assert not policy_eval.resource_policy_required("kms:ListKeys", "*")
    assert not policy_eval.resource_policy_required("s3:GetObject", OBJ)
    forced = evaluate(Request(ROLE, "s3:GetObject", OBJ), identity_policies=[ALLOW_READ],
                      resource_policy_required=True)
    assert not forced.allowed


def test_effective_context_derives_principal_and_resource_keys() -> None:
    session = "arn:aws:sts::123456789012:assumed-role/ztai-x-trainer/alice"
    context = policy_eval.effective_context(Request(session, "s3:GetObject", OBJ, {"aws:SecureTransport": "true"}))
    assert context["aws:PrincipalArn"] == ROLE and context["aws:PrincipalAccount"] == "123456789012"
    assert context["aws:PrincipalType"] == "AssumedRole" and context["aws:ResourceAccount"] == "123456789012"
    given = policy_eval.effective_context(Request(ROLE, "s3:GetObject", OBJ, {"AWS:PrincipalAccount": "1"}))
    assert given["AWS:PrincipalAccount"] == "1" and "aws:PrincipalAccount" not in given  # given keys win
    service = policy_eval.effective_context(Request("ec2.amazonaws.com", "sts:AssumeRole", ROLE))
    assert service["aws:PrincipalIsAWSService"] == "true" and service["aws:PrincipalServiceName"] == "ec2.amazonaws.com"


def test_unknown_operators_fail_closed_and_are_reported() -> None:
    odd = {"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Action": "s3:GetObject", "Resource": "*", "Condition": {"StringFancy": {"a:b": "c"}}}]}
    decision = evaluate(Request(ROLE, "s3:GetObject", OBJ), identity_policies=[odd])
    assert not decision.allowed and decision.unknown_operators == ("StringFancy",)
    assert "StringFancy" in decision.reason


def test_recording_collects_every_evaluation() -> None:
    request = Request(ROLE, "s3:GetObject", OBJ, {"aws:SecureTransport": "true"})
    evaluate(request, identity_policies=[ALLOW_READ])  # outside: not recorded
    with policy_eval.recording() as entries:
        first = evaluate(request, identity_policies=[ALLOW_READ])
        with policy_eval.recording() as inner:
            evaluate(request, identity_policies=[], boundary=ALLOW_READ)
    assert [e.decision for e in entries[:1]] == [first] and len(entries) == 2 and len(inner) == 1
    entry = entries[1]
    assert entry.request == request and entry.policies["boundary"] == ALLOW_READ
    assert entry.context["aws:PrincipalArn"] == ROLE and entry.resource_policy_required is False
    replayed = Case.from_recorded("replay", entry)
    assert ours(replayed) == "ImplicitlyDenied"
    evaluate(request, identity_policies=[ALLOW_READ])
    assert len(entries) == 2  # recording stopped with the block
