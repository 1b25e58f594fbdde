"""Red-team drill (seed step 7) against the deployed `local` environment in the emulator.

    python -m blueprint.drill [--endpoint http://127.0.0.1:5055]

Every attempt uses the deployed roles through STS (the emulator issues real session credentials) and
is decided either by the emulator itself, where it enforces the control, or by evaluating the policies
*as deployed* (read back through the IAM, S3 and KMS APIs) with ``blueprint.policy_eval``. Each verdict
says which. The drill exits non-zero when any verdict differs from the expectation.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import sys
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from botocore.exceptions import ClientError

from blueprint import drill_response
from blueprint.policy_eval import Decision, Request, evaluate
from blueprint.verify import clients

EMULATOR = "enforced by the emulator"
EVALUATED = drill_response.EVALUATED
TLS = {
    "aws:SecureTransport": "true",
    "s3:TlsVersion": "1.3",
    "s3:x-amz-content-sha256": hashlib.sha256(b"drill").hexdigest(),
}


@dataclass(frozen=True)
class Verdict:
    attempt: str
    expected: str  # "DENY" | "ALLOW"
    actual: str
    how: str
    reason: str

    @property
    def correct(self) -> bool:
        return self.expected == self.actual


class DeployedPolicies:
    """Reads roles, boundaries, bucket policies and trust policies back from the emulator."""

    def __init__(self, endpoint: str, region: str, prefix: str, account: str) -> None:
        self.client = clients(endpoint, region)
        self.prefix, self.account = prefix, account
        self.iam, self.s3, self.sts = self.client("iam"), self.client("s3"), self.client("sts")

    def role(self, suffix: str) -> dict[str, Any]:
        return dict(self.iam.get_role(RoleName=f"{self.prefix}-{suffix}")["Role"])

    def identity_policies(self, suffix: str) -> list[dict[str, Any]]:
        name = f"{self.prefix}-{suffix}"
        documents = []
        for policy_name in self.iam.list_role_policies(RoleName=name)["PolicyNames"]:
            document = self.iam.get_role_policy(RoleName=name, PolicyName=policy_name)["PolicyDocument"]
            documents.append(json.loads(document) if isinstance(document, str) else document)
        return documents

    def boundary(self, suffix: str) -> dict[str, Any] | None:
        arn = self.role(suffix).get("PermissionsBoundary", {}).get("PermissionsBoundaryArn")
        if not arn:
            return None
        version = self.iam.get_policy(PolicyArn=arn)["Policy"]["DefaultVersionId"]
        document = self.iam.get_policy_version(PolicyArn=arn, VersionId=version)["PolicyVersion"]["Document"]
        return json.loads(document) if isinstance(document, str) else dict(document)

    def bucket(self, domain: str) -> str:
        return f"{self.prefix}-{domain}-{self.account}"

    def bucket_policy(self, domain: str) -> dict[str, Any]:
        return dict(json.loads(self.s3.get_bucket_policy(Bucket=self.bucket(domain))["Policy"]))

    def decide(self, suffix: str, action: str, domain: str, key: str, context: dict[str, Any]) -> Decision:
        role_arn = self.role(suffix)["Arn"]
        request = Request(
            role_arn,
            action,
            f"arn:aws:s3:::{self.bucket(domain)}/{key}",
            {**context, "aws:PrincipalAccount": self.account},
        )
        return evaluate(
            request,
            identity_policies=self.identity_policies(suffix),
            resource_policies=[self.bucket_policy(domain)],
            boundary=self.boundary(suffix),
        )

    def decide_assume(self, suffix: str, context: dict[str, Any]) -> Decision:
        """Evaluate the deployed trust policy for the first configured principal assuming the role."""
        role = self.role(suffix)
        trust = role["AssumeRolePolicyDocument"]
        trust = json.loads(trust) if isinstance(trust, str) else trust
        principal = next(iter(_principals(trust)), "")
        return evaluate(
            Request(principal, "sts:AssumeRole", role["Arn"], context),
            identity_policies=[],
            resource_policies=[_with_resource(trust, role["Arn"])],
        )

    def session(self, suffix: str) -> Any:
        """Assume the deployed role through STS (as a person would: MFA and a source identity)."""
        credentials = self.sts.assume_role(
            RoleArn=self.role(suffix)["Arn"],
            RoleSessionName="red-team-drill",
            SourceIdentity="red-team-drill",
            SerialNumber=f"arn:aws:iam::{self.account}:mfa/drill",
            TokenCode="123456",
            DurationSeconds=900,
        )["Credentials"]
        return credentials


def run(
    endpoint: str,
    region: str = "us-east-1",
    prefix: str = "ztai-local",
    account: str = "123456789012",
    say: Callable[[str], None] = print,
) -> list[Verdict]:
    deployed = DeployedPolicies(endpoint, region, prefix, account)
    verdicts: list[Verdict] = []

    def record(attempt: str, expected: str, decision: Decision, how: str = EVALUATED) -> None:
        verdict = Verdict(attempt, expected, "ALLOW" if decision.allowed else "DENY", how, decision.reason)
        verdicts.append(verdict)
        say(
            f"  [{'ok' if verdict.correct else 'WRONG'}] {attempt}: expected {expected}, got {verdict.actual} "
            f"({how}: {decision.reason})"
        )

    # every persona is reachable through STS (the emulator issues session credentials)
    sessions = {s: deployed.session(s) for s in ("model-trainer", "data-engineer", "model-deployer")}

    # -- must be denied -------------------------------------------------------------------------------
    record(
        "trainer reads validation/*",
        "DENY",
        deployed.decide("model-trainer", "s3:GetObject", "validation", "validation/holdout.parquet", TLS),
    )
    engineer = sessions["data-engineer"]
    engineer_s3 = clients(endpoint, region, credentials=engineer)("s3")
    try:
        engineer_s3.put_object(Bucket=deployed.bucket("raw"), Key="raw/plain-http.csv", Body=b"a,b\n")
        enforced = Decision(True, "the emulator accepted a plain-HTTP upload")
    except ClientError as error:
        # moto applies every conditional Deny of the bucket policy (it cannot see aws:SecureTransport), so
        # this proves the deployed policy is attached and enforced; the TLS condition is the next attempt.
        enforced = Decision(
            False,
            f"{error.response['Error'].get('Code') or 'AccessDenied'} from the deployed bucket policy",
        )
    record("upload into a policy-protected bucket over plain HTTP (real request)", "DENY", enforced, EMULATOR)
    record(
        "upload without TLS (policy check)",
        "DENY",
        deployed.decide("data-engineer", "s3:PutObject", "raw", "raw/plain.csv", {"aws:SecureTransport": "false"}),
    )
    record(
        "upload without a SHA-256 payload checksum",
        "DENY",
        deployed.decide(
            "data-engineer",
            "s3:PutObject",
            "raw",
            "raw/unsigned.csv",
            {**TLS, "s3:x-amz-content-sha256": "UNSIGNED-PAYLOAD"},
        ),
    )
    for persona in ("model-trainer", "break-glass", "security-auditor"):
        record(
            f"assume {persona} without MFA", "DENY", deployed.decide_assume(persona, {"sts:SourceIdentity": "someone"})
        )
        stale_mfa = {
            "aws:MultiFactorAuthPresent": "true",
            "aws:MultiFactorAuthAge": "86400",
            "sts:SourceIdentity": "someone",
        }
        record(f"assume {persona} with a day-old MFA", "DENY", deployed.decide_assume(persona, stale_mfa))
    record(
        "data engineer writes the model registry",
        "DENY",
        deployed.decide("data-engineer", "s3:PutObject", "models", "models/backdoored.bin", TLS),
    )
    for persona in (
        "model-trainer",
        "model-deployer",
        "data-engineer",
        "security-auditor",
        "break-glass",
        "training-job",
    ):
        for action in ("s3:DeleteObjectVersion", "s3:BypassGovernanceRetention"):
            record(
                f"{persona} deletes a locked model version ({action})",
                "DENY",
                deployed.decide(persona, action, "models", "models/v1/model.bin", TLS),
            )
    lock = deployed.s3.get_object_lock_configuration(Bucket=deployed.bucket("models"))["ObjectLockConfiguration"]
    retention = lock.get("Rule", {}).get("DefaultRetention", {})
    record(
        "model registry keeps every version under Object Lock",
        "DENY",
        Decision(
            not (lock.get("ObjectLockEnabled") == "Enabled" and retention.get("Mode")),
            f"Object Lock {retention.get('Mode')} {retention.get('Days')} day(s) on every new version",
        ),
        EMULATOR,
    )

    # -- must succeed ---------------------------------------------------------------------------------
    record(
        "trainer reads training/*",
        "ALLOW",
        deployed.decide("model-trainer", "s3:GetObject", "training", "training/part-0001.parquet", TLS),
    )
    record(
        "trainer writes a model",
        "ALLOW",
        deployed.decide("model-trainer", "s3:PutObject", "models", "models/v2/model.bin", TLS),
    )
    record(
        "data engineer writes raw data",
        "ALLOW",
        deployed.decide("data-engineer", "s3:PutObject", "raw", "raw/2026/11/25/events.json", TLS),
    )
    fresh_mfa = {"aws:MultiFactorAuthPresent": "true", "aws:MultiFactorAuthAge": "60", "sts:SourceIdentity": "alice"}
    record(
        "assume model-trainer with fresh MFA and a source identity",
        "ALLOW",
        deployed.decide_assume("model-trainer", fresh_mfa),
    )

    # -- serving tokens and automated quarantine (the platform's own runtime code) --------------------
    drill_response.client_secret_attempts(deployed, prefix, record)
    drill_response.token_attempts(deployed.client, endpoint, prefix, record)
    drill_response.quarantine_attempts(deployed.client, endpoint, region, prefix, account, deployed.decide, record)
    return verdicts


def _principals(trust: dict[str, Any]) -> list[str]:
    found: list[str] = []
    for statement in trust.get("Statement", []):
        principal = statement.get("Principal", {}).get("AWS", [])
        found += principal if isinstance(principal, list) else [principal]
    return found


def _with_resource(trust: dict[str, Any], role_arn: str) -> dict[str, Any]:
    """Trust policies have no Resource element; the resource is the role itself."""
    return {"Statement": [{**s, "Resource": role_arn} for s in trust.get("Statement", [])]}


def summarize(verdicts: Sequence[Verdict]) -> str:
    wrong = [v for v in verdicts if not v.correct]
    enforced = sorted({v.attempt for v in verdicts if v.how == EMULATOR})
    lines = [
        f"red-team drill: {len(verdicts) - len(wrong)}/{len(verdicts)} verdicts as expected"
        + (f"; WRONG: {', '.join(v.attempt for v in wrong)}" if wrong else ""),
        f"  enforced by the emulator: {', '.join(enforced)}",
        f"  {drill_response.TOKENS}: "
        f"{sum(v.how == drill_response.TOKENS for v in verdicts)} attempts",
        f"  {drill_response.HANDLER}: {sum(v.how == drill_response.HANDLER for v in verdicts)} attempts",
        "  evaluated from the deployed policies (moto does not enforce IAM identity policies, trust-policy "
        "conditions or KMS key policies): everything else",
    ]
    return "\n".join(lines)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--endpoint", default=None, help="emulator endpoint (default: environments/local.yaml)")
    args = parser.parse_args(argv)
    endpoint = args.endpoint
    if endpoint is None:
        from pathlib import Path

        from blueprint.loader import load_all

        (local,) = load_all(Path(__file__).resolve().parent.parent / "environments", only=["local"])
        assert local.config.emulator is not None
        endpoint = local.config.emulator.endpoint
    verdicts = run(endpoint)
    print(summarize(verdicts))
    return 0 if all(v.correct for v in verdicts) else 1


if __name__ == "__main__":
    sys.exit(main())
