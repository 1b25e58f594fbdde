"""The drill's policy evaluator: explicit deny wins, IfExists/Null semantics, boundaries, principals."""

from __future__ import annotations

from blueprint.policy_eval import Request, evaluate

ROLE = "arn:aws:iam::123456789012:role/ztai-x-trainer"
OBJ = "arn:aws:s3:::bucket/training/a.parquet"
ALLOW_READ = {
    "Statement": [{"Effect": "Allow", "Action": ["s3:GetObject"], "Resource": "arn:aws:s3:::bucket/training/*"}]
}


def test_allow_deny_and_implicit_deny() -> None:
    assert evaluate(Request(ROLE, "s3:GetObject", OBJ), identity_policies=[ALLOW_READ]).allowed
    assert not evaluate(Request(ROLE, "s3:PutObject", OBJ), identity_policies=[ALLOW_READ]).allowed
    deny = {
        "Statement": [
            {
                "Sid": "No",
                "Effect": "Deny",
                "Principal": {"AWS": ROLE},
                "Action": "s3:*",
                "Resource": "arn:aws:s3:::bucket/*",
            }
        ]
    }
    decision = evaluate(Request(ROLE, "s3:GetObject", OBJ), identity_policies=[ALLOW_READ], resource_policies=[deny])
    assert not decision.allowed and "explicit Deny No" in decision.reason
    other = evaluate(
        Request("arn:aws:iam::123456789012:role/other", "s3:GetObject", OBJ),
        identity_policies=[ALLOW_READ],
        resource_policies=[deny],
    )
    assert other.allowed  # the Deny names another principal


def test_tls_deny_uses_the_request_context() -> None:
    tls = {
        "Statement": [
            {
                "Sid": "Tls",
                "Effect": "Deny",
                "Principal": {"AWS": "*"},
                "Action": "s3:*",
                "Resource": "arn:aws:s3:::bucket/*",
                "Condition": {"Bool": {"aws:SecureTransport": "false"}},
            }
        ]
    }
    secure = Request(ROLE, "s3:GetObject", OBJ, {"aws:SecureTransport": "true"})
    plain = Request(ROLE, "s3:GetObject", OBJ, {"aws:SecureTransport": "false"})
    assert evaluate(secure, identity_policies=[ALLOW_READ], resource_policies=[tls]).allowed
    assert not evaluate(plain, identity_policies=[ALLOW_READ], resource_policies=[tls]).allowed


def test_if_exists_and_null_semantics() -> None:
    key = "s3:x-amz-server-side-encryption-aws-kms-key-id"
    if_exists = {
        "Statement": [
            {
                "Effect": "Deny",
                "Principal": {"AWS": "*"},
                "Action": "s3:GetObject",
                "Resource": "*",
                "Condition": {"StringNotEqualsIfExists": {key: "k1"}},
            }
        ]
    }
    present_only = {
        "Statement": [
            {
                "Effect": "Deny",
                "Principal": {"AWS": "*"},
                "Action": "s3:GetObject",
                "Resource": "*",
                "Condition": {"StringNotEquals": {key: "k1"}, "Null": {key: "false"}},
            }
        ]
    }
    missing = Request(ROLE, "s3:GetObject", OBJ)
    wrong = Request(ROLE, "s3:GetObject", OBJ, {key: "k2"})
    # the AWS rule: ...IfExists is true when the key is missing -> such a Deny blocks requests without the header
    assert not evaluate(missing, identity_policies=[ALLOW_READ], resource_policies=[if_exists]).allowed
    assert evaluate(missing, identity_policies=[ALLOW_READ], resource_policies=[present_only]).allowed
    assert not evaluate(wrong, identity_policies=[ALLOW_READ], resource_policies=[present_only]).allowed


def test_boundary_caps_identity_policies_and_numeric_conditions() -> None:
    boundary = {"Statement": [{"Effect": "Allow", "Action": ["s3:PutObject"], "Resource": "*"}]}
    assert not evaluate(Request(ROLE, "s3:GetObject", OBJ), identity_policies=[ALLOW_READ], boundary=boundary).allowed
    trust = {
        "Statement": [
            {
                "Effect": "Allow",
                "Principal": {"AWS": ROLE},
                "Action": "sts:AssumeRole",
                "Resource": "*",
                "Condition": {
                    "Bool": {"aws:MultiFactorAuthPresent": "true"},
                    "NumericLessThan": {"aws:MultiFactorAuthAge": "3600"},
                },
            }
        ]
    }
    fresh = Request(ROLE, "sts:AssumeRole", "r", {"aws:MultiFactorAuthPresent": "true", "aws:MultiFactorAuthAge": "60"})
    stale = Request(
        ROLE, "sts:AssumeRole", "r", {"aws:MultiFactorAuthPresent": "true", "aws:MultiFactorAuthAge": "7200"}
    )
    assert evaluate(fresh, identity_policies=[], resource_policies=[trust]).allowed
    assert not evaluate(stale, identity_policies=[], resource_policies=[trust]).allowed
    assert not evaluate(Request(ROLE, "sts:AssumeRole", "r"), identity_policies=[], resource_policies=[trust]).allowed
