"""Hand-written parity cases: one or more per semantic point of AWS's policy evaluation logic.

Each case carries the result AWS documents (``expected``); tests/test_policy_eval.py asserts it for our evaluator and
tests/test_policy_parity.py compares both evaluators on every case.
"""

from __future__ import annotations

from typing import Any

from blueprint.drill.policy_eval import Request
from tests.parity.harness import Case

A = "123456789012"  # the caller's account
B = "210987654321"  # another account
ROLE = f"arn:aws:iam::{A}:role/ztai-x-trainer"
SESSION = f"arn:aws:sts::{A}:assumed-role/ztai-x-trainer/alice"
OTHER_SESSION = f"arn:aws:sts::{A}:assumed-role/ztai-x-other/bob"
FOREIGN_SESSION = f"arn:aws:sts::{B}:assumed-role/partner/carol"
USER = f"arn:aws:iam::{A}:user/alice"
BUCKET = "arn:aws:s3:::ztai-x-data"
OBJ = f"{BUCKET}/training/a.parquet"
KEY = f"arn:aws:kms:us-east-1:{A}:key/11111111-2222-3333-4444-555555555555"
TARGET_ROLE = f"arn:aws:iam::{A}:role/ztai-x-target"
CANONICAL = "79a59df900b949e55d96a1e698fbacedfd6e09d98eacf8f8d5218e7cd47ef2be"  # an S3 canonical user id
ALLOWED, EXPLICIT, IMPLICIT = "Allowed", "ExplicitlyDenied", "ImplicitlyDenied"
V = "2012-10-17"


def doc(*statements: dict[str, Any], version: str | None = V) -> dict[str, Any]:
    body: dict[str, Any] = {"Statement": list(statements)}
    if version:
        body["Version"] = version
    return body


def allow(action: Any, resource: Any = "*", **extra: Any) -> dict[str, Any]:
    return {"Effect": "Allow", "Action": action, "Resource": resource, **extra}


def deny(action: Any, resource: Any = "*", **extra: Any) -> dict[str, Any]:
    return {"Effect": "Deny", "Action": action, "Resource": resource, **extra}


def grant(principal: Any, action: Any, resource: Any = "*", **extra: Any) -> dict[str, Any]:
    return {"Effect": "Allow", "Principal": principal, "Action": action, "Resource": resource, **extra}


def refuse(principal: Any, action: Any, resource: Any = "*", **extra: Any) -> dict[str, Any]:
    return {"Effect": "Deny", "Principal": principal, "Action": action, "Resource": resource, **extra}


READ = doc(allow("s3:GetObject", f"{BUCKET}/training/*"))
ALL = doc(allow("*"))
TLS = {"aws:SecureTransport": "true"}


def case(name: str, expected: str, principal: str = SESSION, action: str = "s3:GetObject", resource: str = OBJ,
         context: dict[str, Any] | None = None, note: str = "", resource_account: str | None = A,
         **policies: Any) -> Case:
    """S3 ARNs carry no account: the resource is in account A unless ``resource_account`` says otherwise."""
    request = Request(principal, action, resource, dict(context or {}), resource_account=resource_account)
    return Case(f"hand/{name}", request, expected=expected, note=note, **policies)


def condition_case(name: str, expected: str, condition: dict[str, Any], context: dict[str, Any],
                   effect: str = "Allow", note: str = "", action: str = "s3:GetObject", resource: str = OBJ) -> Case:
    """An identity-policy statement with one Condition block (Deny cases add an allow-all statement)."""
    statement = {"Effect": effect, "Action": action, "Resource": "*", "Condition": condition}
    statements = [statement] if effect == "Allow" else [allow(action), statement]
    return case(f"condition/{name}", expected, action=action, resource=resource, context=context,
                identity_policies=[doc(*statements)], note=note)


LIST = {"action": "s3:ListBucket", "resource": BUCKET}  # s3:prefix / s3:max-keys are ListBucket's keys


CASES: list[Case] = [
    # -- explicit Deny wins, in every policy type -------------------------------------------------------------
    case("deny/identity-beats-resource-allow", EXPLICIT, identity_policies=[doc(deny("s3:*"))],
         resource_policies=[doc(grant({"AWS": SESSION}, "s3:GetObject", OBJ))]),
    case("deny/resource-beats-identity-allow", EXPLICIT, identity_policies=[READ],
         resource_policies=[doc(refuse({"AWS": ROLE}, "s3:*", f"{BUCKET}/*"))]),
    case("deny/resource-deny-names-the-account", EXPLICIT, identity_policies=[READ],
         resource_policies=[doc(refuse({"AWS": A}, "s3:*", f"{BUCKET}/*"))]),
    case("deny/resource-deny-names-another-role", ALLOWED, identity_policies=[READ],
         resource_policies=[doc(refuse({"AWS": f"arn:aws:iam::{A}:role/ztai-x-other"}, "s3:*", f"{BUCKET}/*"))]),
    case("deny/boundary", EXPLICIT, identity_policies=[READ], boundary=doc(allow("s3:*"), deny("s3:GetObject"))),
    case("deny/session-policy", EXPLICIT, identity_policies=[READ],
         session_policies=[doc(allow("*"), deny("s3:GetObject"))]),
    case("deny/endpoint-policy", EXPLICIT, identity_policies=[READ],
         endpoint_policies=[doc(grant("*", "*"), refuse("*", "s3:GetObject"))], context={"aws:SourceVpce": "vpce-1"}),
    case("deny/scp", EXPLICIT, identity_policies=[READ], scps=[doc(allow("*"), deny("s3:GetObject"))]),
    case("deny/rcp", EXPLICIT, identity_policies=[READ],
         rcps=[doc(refuse("*", "s3:*", "*", Condition={"BoolIfExists": {"aws:SecureTransport": "false"}}))],
         context={"aws:SecureTransport": "false"}),
    case("deny/rcp-condition-false", ALLOWED, identity_policies=[READ], context=TLS,
         rcps=[doc(refuse("*", "s3:*", "*", Condition={"BoolIfExists": {"aws:SecureTransport": "false"}}))]),
    # -- guardrails that must allow ---------------------------------------------------------------------------
    case("scp/every-level-must-allow", IMPLICIT, identity_policies=[READ], scps=[ALL, doc(allow("ec2:*"))]),
    case("scp/all-levels-allow", ALLOWED, identity_policies=[READ], scps=[ALL, [doc(allow("ec2:*")), ALL]]),
    case("scp/does-not-grant", IMPLICIT, scps=[ALL]),
    case("endpoint/must-allow", IMPLICIT, identity_policies=[READ], context={"aws:SourceVpce": "vpce-1"},
         endpoint_policies=[doc(grant("*", "s3:PutObject"))]),
    case("endpoint/allows", ALLOWED, identity_policies=[READ], context={"aws:SourceVpce": "vpce-1"},
         endpoint_policies=[doc(grant({"AWS": "*"}, "s3:GetObject", f"{BUCKET}/*"))]),
    case("endpoint/principal-account-condition", IMPLICIT, principal=FOREIGN_SESSION, identity_policies=[READ],
         resource_policies=[doc(grant({"AWS": B}, "s3:GetObject", OBJ))],
         endpoint_policies=[doc(grant("*", "s3:*", "*", Condition={"StringEquals": {"aws:PrincipalAccount": A}}))]),
    case("boundary/limits-identity-grant", IMPLICIT, identity_policies=[READ], boundary=doc(allow("s3:PutObject"))),
    case("boundary/within", ALLOWED, identity_policies=[READ], boundary=doc(allow("s3:Get*"))),
    case("boundary/does-not-grant", IMPLICIT, boundary=ALL),
    case("session/limits-identity-grant", IMPLICIT, identity_policies=[READ], session_policies=[doc(allow("kms:*"))]),
    case("session/within", ALLOWED, identity_policies=[READ], session_policies=[doc(allow("s3:*"))]),
    # -- same account: identity OR resource; role ARN vs session ARN grants -----------------------------------
    case("same-account/resource-grant-to-role-alone", ALLOWED,
         resource_policies=[doc(grant({"AWS": ROLE}, "s3:GetObject", OBJ))]),
    case("same-account/resource-grant-to-role-limited-by-boundary", IMPLICIT,
         resource_policies=[doc(grant({"AWS": ROLE}, "s3:GetObject", OBJ))], boundary=doc(allow("kms:*"))),
    case("same-account/resource-grant-to-session-not-limited-by-boundary", ALLOWED,
         resource_policies=[doc(grant({"AWS": SESSION}, "s3:GetObject", OBJ))], boundary=doc(allow("kms:*"))),
    case("same-account/resource-grant-to-star-not-limited-by-boundary", ALLOWED,
         resource_policies=[doc(grant("*", "s3:GetObject", OBJ))], boundary=doc(allow("kms:*"))),
    case("same-account/resource-grant-to-role-limited-by-session-policy", IMPLICIT,
         resource_policies=[doc(grant({"AWS": ROLE}, "s3:GetObject", OBJ))], session_policies=[doc(allow("kms:*"))]),
    case("same-account/resource-grant-to-session-not-limited-by-session-policy", ALLOWED,
         resource_policies=[doc(grant({"AWS": SESSION}, "s3:GetObject", OBJ))],
         session_policies=[doc(allow("kms:*"))]),
    case("same-account/account-grant-needs-identity", IMPLICIT,
         resource_policies=[doc(grant({"AWS": f"arn:aws:iam::{A}:root"}, "s3:GetObject", OBJ))]),
    case("same-account/account-grant-with-identity", ALLOWED, identity_policies=[READ],
         resource_policies=[doc(grant({"AWS": A}, "s3:GetObject", OBJ))]),
    case("same-account/identity-alone", ALLOWED, identity_policies=[READ]),
    case("same-account/role-arn-principal-as-drill", ALLOWED, principal=ROLE,
         resource_policies=[doc(grant({"AWS": ROLE}, "s3:GetObject", OBJ))]),
    case("same-account/role-arn-principal-limited-by-boundary", IMPLICIT, principal=ROLE,
         resource_policies=[doc(grant({"AWS": ROLE}, "s3:GetObject", OBJ))], boundary=doc(allow("kms:*"))),
    case("same-account/user-grant-not-limited-by-boundary", ALLOWED, principal=USER,
         resource_policies=[doc(grant({"AWS": USER}, "s3:GetObject", OBJ))], boundary=doc(allow("kms:*"))),
    case("same-account/other-session-not-matched", IMPLICIT, principal=OTHER_SESSION,
         resource_policies=[doc(grant({"AWS": ROLE}, "s3:GetObject", OBJ))]),
    # -- cross account: both sides ----------------------------------------------------------------------------
    case("cross-account/identity-only", IMPLICIT, principal=FOREIGN_SESSION, identity_policies=[READ]),
    case("cross-account/resource-only", IMPLICIT, principal=FOREIGN_SESSION,
         resource_policies=[doc(grant({"AWS": FOREIGN_SESSION}, "s3:GetObject", OBJ))]),
    case("cross-account/both", ALLOWED, principal=FOREIGN_SESSION, identity_policies=[READ],
         resource_policies=[doc(grant({"AWS": f"arn:aws:iam::{B}:role/partner"}, "s3:GetObject", OBJ))]),
    case("cross-account/account-grant-and-identity", ALLOWED, principal=FOREIGN_SESSION, identity_policies=[READ],
         resource_policies=[doc(grant({"AWS": B}, "s3:GetObject", OBJ))]),
    case("cross-account/boundary-applies", IMPLICIT, principal=FOREIGN_SESSION, identity_policies=[READ],
         boundary=doc(allow("kms:*")), resource_policies=[doc(grant({"AWS": FOREIGN_SESSION}, "s3:GetObject", OBJ))]),
    case("cross-account/resource-account-from-context", IMPLICIT, identity_policies=[READ],
         context={"aws:ResourceAccount": B}, resource_account=None,
         note="the bucket belongs to another account: identity alone is not enough"),
    # -- KMS key policies: required; root delegates to IAM ---------------------------------------------------
    case("kms/no-key-policy", IMPLICIT, action="kms:Decrypt", resource=KEY, identity_policies=[doc(allow("kms:*"))]),
    case("kms/root-delegates-identity-allows", ALLOWED, action="kms:Decrypt", resource=KEY,
         identity_policies=[doc(allow("kms:Decrypt", KEY))],
         resource_policies=[doc(grant({"AWS": f"arn:aws:iam::{A}:root"}, "kms:*"))]),
    case("kms/root-delegates-no-identity", IMPLICIT, action="kms:Decrypt", resource=KEY,
         resource_policies=[doc(grant({"AWS": f"arn:aws:iam::{A}:root"}, "kms:*"))]),
    case("kms/key-policy-names-role", ALLOWED, action="kms:Decrypt", resource=KEY,
         resource_policies=[doc(grant({"AWS": ROLE}, ["kms:Decrypt", "kms:DescribeKey"]))]),
    case("kms/key-policy-names-role-outside-boundary", IMPLICIT, action="kms:Decrypt", resource=KEY,
         resource_policies=[doc(grant({"AWS": ROLE}, "kms:Decrypt"))], boundary=doc(allow("s3:*"))),
    case("kms/key-policy-other-role-identity-allows", IMPLICIT, action="kms:Decrypt", resource=KEY,
         identity_policies=[doc(allow("kms:*"))],
         resource_policies=[doc(grant({"AWS": f"arn:aws:iam::{A}:role/ztai-x-other"}, "kms:Decrypt"))]),
    case("kms/via-service-condition", ALLOWED, action="kms:GenerateDataKey", resource=KEY,
         context={"kms:ViaService": "s3.us-east-1.amazonaws.com"},
         resource_policies=[doc(grant({"AWS": ROLE}, "kms:GenerateDataKey", "*",
                                      Condition={"StringEquals": {"kms:ViaService": "s3.us-east-1.amazonaws.com"}}))]),
    case("kms/via-service-condition-direct-call", IMPLICIT, action="kms:GenerateDataKey", resource=KEY,
         resource_policies=[doc(grant({"AWS": ROLE}, "kms:GenerateDataKey", "*",
                                      Condition={"StringEquals": {"kms:ViaService": "s3.us-east-1.amazonaws.com"}}))]),
    # -- trust policies ---------------------------------------------------------------------------------------
    case("trust/role-principal-needs-no-identity", ALLOWED, action="sts:AssumeRole", resource=TARGET_ROLE,
         resource_policies=[doc({"Effect": "Allow", "Principal": {"AWS": ROLE}, "Action": "sts:AssumeRole"})]),
    case("trust/root-principal-needs-identity", IMPLICIT, action="sts:AssumeRole", resource=TARGET_ROLE,
         resource_policies=[doc({"Effect": "Allow", "Principal": {"AWS": A}, "Action": "sts:AssumeRole"})]),
    case("trust/root-principal-with-identity", ALLOWED, action="sts:AssumeRole", resource=TARGET_ROLE,
         identity_policies=[doc(allow("sts:AssumeRole", TARGET_ROLE))],
         resource_policies=[doc({"Effect": "Allow", "Principal": {"AWS": A}, "Action": "sts:AssumeRole"})]),
    case("trust/identity-without-trust", IMPLICIT, action="sts:AssumeRole", resource=TARGET_ROLE,
         identity_policies=[doc(allow("sts:AssumeRole"))],
         resource_policies=[doc({"Effect": "Allow", "Principal": {"Service": "ec2.amazonaws.com"},
                                 "Action": "sts:AssumeRole"})]),
    case("trust/service-principal", ALLOWED, principal="ec2.amazonaws.com", action="sts:AssumeRole",
         resource=TARGET_ROLE, resource_policies=[doc({"Effect": "Allow", "Principal": {"Service": "ec2.amazonaws.com"},
                                                       "Action": "sts:AssumeRole"})]),
    case("trust/service-source-account", IMPLICIT, principal="lambda.amazonaws.com", action="sts:AssumeRole",
         resource=TARGET_ROLE, context={"aws:SourceAccount": B},
         resource_policies=[doc({"Effect": "Allow", "Principal": {"Service": "lambda.amazonaws.com"},
                                 "Action": "sts:AssumeRole",
                                 "Condition": {"StringEquals": {"aws:SourceAccount": A}}})]),
    case("trust/federated-web-identity", ALLOWED, principal="cognito-identity.amazonaws.com",
         action="sts:AssumeRoleWithWebIdentity", resource=TARGET_ROLE,
         context={"cognito-identity.amazonaws.com:aud": "us-east-1:pool"},
         resource_policies=[doc({"Effect": "Allow", "Principal": {"Federated": "cognito-identity.amazonaws.com"},
                                 "Action": "sts:AssumeRoleWithWebIdentity",
                                 "Condition": {"StringEquals": {"cognito-identity.amazonaws.com:aud":
                                                                "us-east-1:pool"}}})]),
    case("trust/mfa-required-absent", IMPLICIT, action="sts:AssumeRole", resource=TARGET_ROLE,
         resource_policies=[doc({"Effect": "Allow", "Principal": {"AWS": ROLE}, "Action": "sts:AssumeRole",
                                 "Condition": {"Bool": {"aws:MultiFactorAuthPresent": "true"}}})]),
    case("trust/cross-account-needs-identity", IMPLICIT, principal=FOREIGN_SESSION, action="sts:AssumeRole",
         resource=TARGET_ROLE, resource_policies=[doc({"Effect": "Allow", "Principal": {"AWS": B},
                                                       "Action": "sts:AssumeRole"})]),
    case("trust/session-principal-as-role", ALLOWED, action="sts:AssumeRole", resource=TARGET_ROLE,
         principal=f"arn:aws:sts::{A}:assumed-role/MLResearchers/alice",
         resource_policies=[doc({"Effect": "Allow", "Principal": {"AWS": f"arn:aws:iam::{A}:role/sso/MLResearchers"},
                                 "Action": "sts:AssumeRole"})]),
    # -- principal matching -----------------------------------------------------------------------------------
    case("principal/service-mismatch", IMPLICIT, principal="s3.amazonaws.com",
         resource_policies=[doc(grant({"Service": "logging.s3.amazonaws.com"}, "s3:GetObject", OBJ))]),
    case("principal/service-match", ALLOWED, principal="logging.s3.amazonaws.com",
         resource_policies=[doc(grant({"Service": ["logging.s3.amazonaws.com"]}, "s3:GetObject", OBJ))]),
    case("principal/anonymous-star", ALLOWED, principal="anonymous",
         resource_policies=[doc(grant("*", "s3:GetObject", OBJ))]),
    case("principal/anonymous-not-account", IMPLICIT, principal="anonymous",
         resource_policies=[doc(grant({"AWS": A}, "s3:GetObject", OBJ))]),
    case("principal/no-wildcards-in-arns", IMPLICIT,
         resource_policies=[doc(grant({"AWS": f"arn:aws:iam::{A}:role/ztai-*"}, "s3:GetObject", OBJ))]),
    case("principal/not-principal-deny-excludes-whole-chain", ALLOWED, identity_policies=[READ],
         resource_policies=[doc({"Effect": "Deny", "NotPrincipal": {"AWS": [SESSION, ROLE, f"arn:aws:iam::{A}:root"]},
                                 "Action": "s3:*", "Resource": "*"})]),
    case("principal/not-principal-deny-other", EXPLICIT, principal=OTHER_SESSION, identity_policies=[READ],
         resource_policies=[doc({"Effect": "Deny", "NotPrincipal": {"AWS": [SESSION, ROLE, f"arn:aws:iam::{A}:root"]},
                                 "Action": "s3:*", "Resource": "*"})]),
    case("principal/not-principal-deny-role-only", EXPLICIT, identity_policies=[READ],
         note="NotPrincipal must list the account and the session too (reference_policies_elements_notprincipal.html)",
         resource_policies=[doc({"Effect": "Deny", "NotPrincipal": {"AWS": ROLE}, "Action": "s3:*", "Resource": "*"})]),
    case("principal/not-principal-deny-with-boundary", EXPLICIT, identity_policies=[READ], boundary=ALL,
         note="access_policies_boundaries.html: NotPrincipal + Deny always denies a principal with a boundary",
         resource_policies=[doc({"Effect": "Deny", "NotPrincipal": {"AWS": [SESSION, ROLE, f"arn:aws:iam::{A}:root"]},
                                 "Action": "s3:*", "Resource": "*"})]),
    case("principal/not-principal-allow", ALLOWED,
         resource_policies=[doc({"Effect": "Allow", "NotPrincipal": {"AWS": f"arn:aws:iam::{B}:root"},
                                 "Action": "s3:GetObject", "Resource": OBJ})]),
    case("principal/canonical-user", ALLOWED, principal=CANONICAL,
         resource_policies=[doc(grant({"CanonicalUser": CANONICAL}, "s3:GetObject", OBJ))]),
    # -- names: case-insensitive actions and keys; case-sensitive values and resources ------------------------
    case("names/action-case-insensitive", ALLOWED, action="s3:getobject",
         identity_policies=[doc(allow("S3:GetObject"))]),
    case("names/condition-key-case-insensitive", EXPLICIT, identity_policies=[READ],
         context={"aws:securetransport": "false"},
         resource_policies=[doc(refuse("*", "s3:*", "*", Condition={"Bool": {"AWS:SecureTransport": "false"}}))]),
    case("names/resource-case-sensitive", IMPLICIT, resource=f"{BUCKET}/Training/a.parquet", identity_policies=[READ]),
    case("names/question-mark-wildcard", ALLOWED, resource=f"{BUCKET}/file1.txt",
         identity_policies=[doc(allow("s3:GetObjec?", f"{BUCKET}/file?.txt"))]),
    case("names/question-mark-one-character", IMPLICIT, resource=f"{BUCKET}/file10.txt",
         identity_policies=[doc(allow("s3:GetObject", f"{BUCKET}/file?.txt"))]),
    case("names/no-fnmatch-brackets", IMPLICIT, resource=f"{BUCKET}/a.txt",
         identity_policies=[doc(allow("s3:GetObject", f"{BUCKET}/[ab].txt"))]),
    case("names/brackets-are-literal", ALLOWED, resource=f"{BUCKET}/[ab].txt",
         identity_policies=[doc(allow("s3:GetObject", f"{BUCKET}/[ab].txt"))]),
    case("names/arn-segments", ALLOWED, action="kms:Decrypt", resource=KEY,
         identity_policies=[doc(allow("kms:Decrypt", "arn:aws:kms:*:*:key/*"))],
         resource_policies=[doc(grant({"AWS": A}, "kms:*"))]),
    case("names/arn-trailing-star-spans-colons", ALLOWED, action="kms:Decrypt", resource=KEY,
         identity_policies=[doc(allow("kms:Decrypt", "arn:aws:kms:*"))],
         resource_policies=[doc(grant({"AWS": A}, "kms:*"))]),
    case("names/not-action", ALLOWED,
         identity_policies=[doc({"Effect": "Allow", "NotAction": "iam:*", "Resource": "*"})]),
    case("names/not-action-excluded", IMPLICIT, action="iam:PassRole", resource=TARGET_ROLE,
         identity_policies=[doc({"Effect": "Allow", "NotAction": "iam:*", "Resource": "*"})]),
    case("names/not-resource", EXPLICIT, identity_policies=[doc(allow("s3:*"),
                                                           {"Effect": "Deny", "Action": "s3:*", "NotResource": OBJ})],
         resource=f"{BUCKET}/other", note="a Deny with NotResource applies to everything else"),
    case("names/not-resource-excluded", ALLOWED, identity_policies=[doc(allow("s3:*"),
                                                                   {"Effect": "Deny", "Action": "s3:*",
                                                                    "NotResource": f"{BUCKET}/training/*"})]),
    # -- policy variables -------------------------------------------------------------------------------------
    case("variables/username-in-resource", ALLOWED, principal=USER, resource=f"{BUCKET}/home/alice/x",
         identity_policies=[doc(allow("s3:GetObject", f"{BUCKET}/home/${{aws:username}}/*"))]),
    case("variables/username-other-user", IMPLICIT, principal=USER, resource=f"{BUCKET}/home/bob/x",
         identity_policies=[doc(allow("s3:GetObject", f"{BUCKET}/home/${{aws:username}}/*"))]),
    case("variables/no-value-resource-matches-nothing", IMPLICIT, resource=f"{BUCKET}/home/alice/x",
         identity_policies=[doc(allow("s3:GetObject", f"{BUCKET}/home/${{aws:username}}/*"))],
         note="sessions have no aws:username"),
    case("variables/principal-tag-in-condition", ALLOWED, context={"aws:PrincipalTag/team": "ml",
                                                                   "s3:ExistingObjectTag/team": "ml"},
         identity_policies=[doc(allow("s3:GetObject", "*", Condition={"StringEquals": {
             "s3:ExistingObjectTag/team": "${aws:PrincipalTag/team}"}}))]),
    case("variables/principal-tag-mismatch", IMPLICIT, context={"aws:PrincipalTag/team": "ml",
                                                                "s3:ExistingObjectTag/team": "ops"},
         identity_policies=[doc(allow("s3:GetObject", "*", Condition={"StringEquals": {
             "s3:ExistingObjectTag/team": "${aws:PrincipalTag/team}"}}))]),
    case("variables/no-value-negated-operator-matches", EXPLICIT, context={"s3:ExistingObjectTag/team": "ml"},
         note="reference_policies_variables.html#policy-vars-no-value: inverted operators match a variable with no "
              "value",
         identity_policies=[doc(allow("s3:GetObject"), deny("s3:GetObject", "*", Condition={"StringNotEquals": {
             "s3:ExistingObjectTag/team": "${aws:PrincipalTag/team}"}}))]),
    case("variables/default-value", ALLOWED, resource=f"{BUCKET}/home/nobody/x",
         identity_policies=[doc(allow("s3:GetObject", f"{BUCKET}/home/${{aws:username, 'nobody'}}/*"))]),
    case("variables/literal-star", ALLOWED, resource=f"{BUCKET}/a*b",
         identity_policies=[doc(allow("s3:GetObject", f"{BUCKET}/a${{*}}b"))]),
    case("variables/literal-star-is-not-a-wildcard", IMPLICIT, resource=f"{BUCKET}/axyzb",
         identity_policies=[doc(allow("s3:GetObject", f"{BUCKET}/a${{*}}b"))]),
    case("variables/literal-question-and-dollar", ALLOWED, resource=f"{BUCKET}/q?$",
         identity_policies=[doc(allow("s3:GetObject", f"{BUCKET}/q${{?}}${{$}}"))]),
    case("variables/old-version-is-literal", IMPLICIT, principal=USER, resource=f"{BUCKET}/home/alice/x",
         identity_policies=[doc(allow("s3:GetObject", f"{BUCKET}/home/${{aws:username}}/*"), version="2008-10-17")]),
    # -- condition operators ----------------------------------------------------------------------------------
    condition_case("string-equals-case-sensitive", IMPLICIT, {"StringEquals": {"aws:PrincipalTag/team": "ML"}},
                   {"aws:PrincipalTag/team": "ml"}),
    condition_case("string-equals-ignore-case", ALLOWED, {"StringEqualsIgnoreCase": {"aws:PrincipalTag/team": "ML"}},
                   {"aws:PrincipalTag/team": "ml"}),
    condition_case("string-not-equals-ignore-case", IMPLICIT,
                   {"StringNotEqualsIgnoreCase": {"aws:PrincipalTag/team": "ML"}}, {"aws:PrincipalTag/team": "ml"}),
    condition_case("string-like-wildcards", ALLOWED, {"StringLike": {"s3:prefix": "train?ng/*"}},
                   {"s3:prefix": "training/2026/"}, **LIST),
    condition_case("string-not-like", ALLOWED, {"StringNotLike": {"s3:prefix": ["raw/*", "models/*"]}},
                   {"s3:prefix": "training/"}, **LIST),
    condition_case("multiple-values-or", ALLOWED, {"StringEquals": {"aws:PrincipalTag/team": ["ops", "ml"]}},
                   {"aws:PrincipalTag/team": "ml"}),
    condition_case("multiple-keys-and", IMPLICIT, {"StringEquals": {"aws:PrincipalTag/team": "ml",
                                                                    "aws:PrincipalTag/level": "2"}},
                   {"aws:PrincipalTag/team": "ml", "aws:PrincipalTag/level": "1"}),
    condition_case("multiple-operators-and", ALLOWED, {"StringEquals": {"aws:PrincipalTag/team": "ml"},
                                                       "NumericGreaterThanEquals": {"aws:PrincipalTag/level": "2"}},
                   {"aws:PrincipalTag/team": "ml", "aws:PrincipalTag/level": "3"}),
    condition_case("absent-key-positive", IMPLICIT, {"StringEquals": {"aws:PrincipalTag/team": "ml"}}, {}),
    condition_case("absent-key-string-not-equals", ALLOWED, {"StringNotEquals": {"aws:PrincipalTag/team": "ml"}}, {}),
    condition_case("absent-key-arn-not-like-deny", EXPLICIT,
                   {"ArnNotLike": {"aws:SourceArn": "arn:aws:sagemaker:*:*:training-job/*"}}, {}, effect="Deny"),
    condition_case("absent-key-if-exists", ALLOWED, {"StringEqualsIfExists": {"aws:PrincipalTag/team": "ml"}}, {}),
    condition_case("present-key-if-exists", IMPLICIT, {"StringEqualsIfExists": {"aws:PrincipalTag/team": "ml"}},
                   {"aws:PrincipalTag/team": "ops"}),
    condition_case("null-true-absent", ALLOWED, {"Null": {"aws:TokenIssueTime": "true"}}, {}),
    condition_case("null-false-present", ALLOWED, {"Null": {"aws:TokenIssueTime": "false"}},
                   {"aws:TokenIssueTime": "2026-11-25T10:00:00Z"}),
    condition_case("null-false-absent", IMPLICIT, {"Null": {"aws:TokenIssueTime": "false"}}, {}),
    condition_case("numeric-less-than", ALLOWED, {"NumericLessThan": {"aws:MultiFactorAuthAge": "3600"}},
                   {"aws:MultiFactorAuthAge": "60"}),
    condition_case("numeric-less-than-equals-edge", ALLOWED,
                   {"NumericLessThanEquals": {"aws:MultiFactorAuthAge": "3600"}}, {"aws:MultiFactorAuthAge": "3600"}),
    condition_case("numeric-greater-than", IMPLICIT, {"NumericGreaterThan": {"s3:max-keys": "10"}},
                   {"s3:max-keys": "10"}, **LIST),
    condition_case("numeric-equals-decimal", ALLOWED, {"NumericEquals": {"s3:max-keys": "10"}},
                   {"s3:max-keys": "10.0"}, **LIST),
    condition_case("numeric-not-equals", ALLOWED, {"NumericNotEquals": {"s3:max-keys": ["1", "2"]}},
                   {"s3:max-keys": "3"}, **LIST),
    condition_case("date-less-than-iso", ALLOWED, {"DateLessThan": {"aws:CurrentTime": "2027-01-01T00:00:00Z"}},
                   {"aws:CurrentTime": "2026-11-25T10:00:00Z"}),
    condition_case("date-greater-than-epoch", ALLOWED, {"DateGreaterThan": {"aws:CurrentTime": "1700000000"}},
                   {"aws:CurrentTime": "2026-11-25T10:00:00Z"}),
    condition_case("date-equals", ALLOWED, {"DateEquals": {"aws:CurrentTime": "2026-11-25T10:00:00Z"}},
                   {"aws:CurrentTime": "2026-11-25T10:00:00Z"}),
    condition_case("date-not-equals", IMPLICIT, {"DateNotEquals": {"aws:CurrentTime": "2026-11-25T10:00:00Z"}},
                   {"aws:CurrentTime": "2026-11-25T10:00:00Z"}),
    condition_case("date-deny-old-session", EXPLICIT, {"DateLessThan": {"aws:TokenIssueTime": "2026-11-25T10:00:00Z"}},
                   {"aws:TokenIssueTime": "2026-11-25T09:00:00Z"}, effect="Deny"),
    condition_case("bool-case-insensitive", ALLOWED, {"Bool": {"aws:SecureTransport": "TRUE"}},
                   {"aws:SecureTransport": "true"}),
    condition_case("bool-if-exists-absent-deny", EXPLICIT, {"BoolIfExists": {"aws:MultiFactorAuthPresent": "false"}},
                   {}, effect="Deny"),
    condition_case("ip-address-cidr", ALLOWED, {"IpAddress": {"aws:SourceIp": ["10.0.0.0/8", "192.168.1.0/24"]}},
                   {"aws:SourceIp": "10.1.2.3"}),
    condition_case("ip-address-outside", IMPLICIT, {"IpAddress": {"aws:SourceIp": "10.0.0.0/8"}},
                   {"aws:SourceIp": "203.0.113.7"}),
    condition_case("not-ip-address-deny", EXPLICIT, {"NotIpAddress": {"aws:SourceIp": "10.0.0.0/8"}},
                   {"aws:SourceIp": "203.0.113.7"}, effect="Deny"),
    condition_case("ipv6", ALLOWED, {"IpAddress": {"aws:SourceIp": "2001:db8::/32"}}, {"aws:SourceIp": "2001:db8::1"}),
    condition_case("arn-like-segments", ALLOWED,
                   {"ArnLike": {"aws:SourceArn": f"arn:aws:sagemaker:us-east-1:{A}:training-job/*"}},
                   {"aws:SourceArn": f"arn:aws:sagemaker:us-east-1:{A}:training-job/ztai-1"}),
    condition_case("arn-like-star-does-not-cross-segments", IMPLICIT,
                   {"ArnLike": {"aws:SourceArn": f"arn:aws:sagemaker:*:{A}:training-job/*"}},
                   {"aws:SourceArn": f"arn:aws:sagemaker:us-east-1:{B}:training-job/x"}),
    condition_case("arn-equals", ALLOWED, {"ArnEquals": {"aws:PrincipalArn": ROLE}}, {}),
    condition_case("arn-not-equals", IMPLICIT, {"ArnNotEquals": {"aws:PrincipalArn": ROLE}}, {}),
    condition_case("binary-equals", ALLOWED, {"BinaryEquals": {"aws:PrincipalTag/blob": "QmluYXJ5VmFsdWU="}},
                   {"aws:PrincipalTag/blob": "QmluYXJ5VmFsdWU="}),
    condition_case("for-all-values-absent-is-true", ALLOWED,
                   {"ForAllValues:StringEquals": {"aws:TagKeys": ["team", "owner"]}}, {}),
    condition_case("for-all-values-subset", ALLOWED,
                   {"ForAllValues:StringEquals": {"aws:TagKeys": ["team", "owner"]}}, {"aws:TagKeys": ["team"]}),
    condition_case("for-all-values-extra", IMPLICIT,
                   {"ForAllValues:StringEquals": {"aws:TagKeys": ["team", "owner"]}}, {"aws:TagKeys": ["team", "x"]}),
    condition_case("for-any-value-absent-is-false", IMPLICIT,
                   {"ForAnyValue:StringEquals": {"aws:TagKeys": ["team"]}}, {}),
    condition_case("for-any-value-one", ALLOWED, {"ForAnyValue:StringEquals": {"aws:TagKeys": ["team"]}},
                   {"aws:TagKeys": ["x", "team"]}),
    condition_case("for-any-value-string-not-equals", EXPLICIT,
                   {"ForAnyValue:StringNotEquals": {"aws:CalledVia": ["athena.amazonaws.com"]}},
                   {"aws:CalledVia": ["athena.amazonaws.com", "glue.amazonaws.com"]}, effect="Deny"),
    condition_case("for-all-values-string-not-like", ALLOWED,
                   {"ForAllValues:StringNotLike": {"aws:TagKeys": ["aws:*"]}}, {"aws:TagKeys": ["team", "owner"]}),
    condition_case("for-any-value-if-exists-absent", ALLOWED,
                   {"ForAnyValue:StringEqualsIfExists": {"aws:TagKeys": ["team"]}}, {}),
    condition_case("multivalued-key-needs-set-operator", IMPLICIT, {"StringEquals": {"aws:TagKeys": "team"}},
                   {"aws:TagKeys": ["team"]}),
    case("condition/unknown-operator-deny-fails-closed", EXPLICIT,
         identity_policies=[doc(allow("s3:GetObject"),
                                deny("s3:GetObject", "*", Condition={"StringFancy": {"aws:PrincipalTag/x": "y"}}))]),
    case("condition/unknown-operator-allow-fails-closed", IMPLICIT,
         identity_policies=[doc(allow("s3:GetObject", "*", Condition={"StringFancy": {"aws:PrincipalTag/x": "y"}}))]),
]
