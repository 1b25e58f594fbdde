"""Red-team drill (seed step 7) against the deployed `local` environment in the emulator.

    python -m blueprint.drill [--endpoint http://127.0.0.1:5055]

Every attempt uses the deployed roles through STS (the emulator issues real session credentials) and
is decided either by the emulator itself, where it enforces the control, or by evaluating the policies
*as deployed* (read back through the IAM, S3 and KMS APIs) with ``blueprint.drill.policy_eval``. Each verdict
says which. The drill exits non-zero when any verdict differs from the expectation.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import sys
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from typing import Any

from botocore.exceptions import ClientError

from blueprint.drill import lifecycle as drill_lifecycle
from blueprint.drill import model_apis as drill_model_apis
from blueprint.drill import response as drill_response
from blueprint.drill.policy_eval import Decision, Request, evaluate
from blueprint.verify.live import clients
from zero_trust_ai.runtime import manifests
from zero_trust_ai.runtime.quarantine.handler import schedule_name

EMULATOR = "enforced by the emulator"
EVALUATED = drill_response.EVALUATED
# What S3 puts in the request context of a signed HTTPS request (https://docs.aws.amazon.com/AmazonS3/latest/
# userguide/amazon-s3-policy-keys.html): TLS, the signed payload hash, and for PutObject whether it creates the object
# (s3:ObjectCreationOperation, true for PutObject/CompleteMultipartUpload).
TLS = {
    "aws:SecureTransport": "true",
    "s3:TlsVersion": "1.3",
    "s3:x-amz-content-sha256": hashlib.sha256(b"drill").hexdigest(),
    "s3:authType": "REST-HEADER",
    "s3:signatureversion": "AWS4-HMAC-SHA256",
}
PUT = {**TLS, "s3:ObjectCreationOperation": "true"}
# A create-only upload (If-None-Match: *), as the platform's uploader sends to the model registry.
PUT_NEW = {**PUT, "s3:if-none-match": "*"}
# An account-wide administrator that is not part of the platform (a CI or admin role): all of S3 and KMS on "*".
ACCOUNT_ADMIN_ROLE = "drill-account-admin"
ACCOUNT_ADMIN_POLICY = {"Version": "2012-10-17", "Statement": [
    {"Sid": "AdministerEverything", "Effect": "Allow", "Action": ["s3:*", "kms:*", "iam:*", "sts:*"], "Resource": "*"}]}


def sdk_upload_headers(upload: Callable[[Any], Any], region: str = "us-east-1") -> dict[str, str]:
    """The headers botocore really sends for ``upload(s3_client)`` to S3 over HTTPS (captured before the wire, no
    network): what a bucket policy sees as ``s3:x-amz-content-sha256`` is whatever this SDK sends *by default*."""
    import boto3
    from botocore.awsrequest import AWSResponse

    seen: dict[str, str] = {}
    s3 = boto3.session.Session(aws_access_key_id="AKIADRILLDRILLDRILL0", aws_secret_access_key="drill",
                               region_name=region).client("s3")

    class _Body:
        def stream(self, **_: Any) -> Iterator[bytes]:
            yield b""

    def before_send(request: Any, **_: Any) -> AWSResponse:
        for name, value in request.headers.items():
            seen[str(name).lower()] = value.decode() if isinstance(value, bytes) else str(value)
        return AWSResponse(request.url, 200, {"x-amz-version-id": "drill-version"}, _Body())

    s3.meta.events.register("before-send.s3.PutObject", before_send)
    upload(s3)
    return seen


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
        self.prefix, self.account, self.region = prefix, account, region
        self.iam, self.s3, self.sts = self.client("iam"), self.client("s3"), self.client("sts")

    def role(self, suffix: str) -> dict[str, Any]:
        return dict(self.iam.get_role(RoleName=self.role_name(suffix))["Role"])

    def identity_policies(self, suffix: str) -> list[dict[str, Any]]:
        name = self.role_name(suffix)
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

    def role_name(self, suffix: str) -> str:
        return suffix if suffix == ACCOUNT_ADMIN_ROLE else f"{self.prefix}-{suffix}"

    def bucket_key(self, domain: str) -> tuple[str, dict[str, Any]]:
        """The ARN and deployed key policy of the bucket's default SSE-KMS key."""
        rules = self.s3.get_bucket_encryption(Bucket=self.bucket(domain))["ServerSideEncryptionConfiguration"]["Rules"]
        key_id = rules[0]["ApplyServerSideEncryptionByDefault"]["KMSMasterKeyID"]
        kms = self.client("kms")
        arn = kms.describe_key(KeyId=key_id)["KeyMetadata"]["Arn"]
        return arn, dict(json.loads(kms.get_key_policy(KeyId=arn, PolicyName="default")["Policy"]))

    def decide(self, suffix: str, action: str, domain: str, key: str, context: dict[str, Any], *,
               endpoint_policies: Sequence[dict[str, Any]] = ()) -> Decision:
        """S3 decides on the object request; for an object read or write S3 then calls KMS *as the caller*
        (forward access session: aws:ViaAWSService true, kms:ViaService s3) and the key policy decides too.
        https://docs.aws.amazon.com/kms/latest/developerguide/services-s3.html"""
        role_arn = self.role(suffix)["Arn"]
        identity, boundary = self.identity_policies(suffix), self.boundary(suffix)
        context = {**self.session_context(suffix), **context}
        request = Request(role_arn, action, f"arn:aws:s3:::{self.bucket(domain)}/{key}",
                          {**context, "aws:PrincipalAccount": self.account})
        decision = evaluate(request, identity_policies=identity, resource_policies=[self.bucket_policy(domain)],
                            boundary=boundary, endpoint_policies=endpoint_policies)
        kms_action = {"s3:GetObject": "kms:Decrypt", "s3:GetObjectVersion": "kms:Decrypt",
                      "s3:PutObject": "kms:GenerateDataKey"}.get(action)
        if not decision.allowed or kms_action is None:
            return decision
        key_arn, key_policy = self.bucket_key(domain)
        kms_context = {"kms:ViaService": f"s3.{self.region}.amazonaws.com", "aws:ViaAWSService": "true",
                       "kms:CallerAccount": self.account, "aws:SecureTransport": "true",
                       "kms:EncryptionContext:aws:s3:arn": f"arn:aws:s3:::{self.bucket(domain)}",
                       # session properties travel with the caller; network keys do not (S3 is the caller of KMS)
                       **{k: v for k, v in context.items()
                          if k in ("aws:TokenIssueTime", "aws:SourceIdentity") or k.startswith("aws:PrincipalTag/")}}
        via_key = evaluate(Request(role_arn, kms_action, key_arn, kms_context), identity_policies=identity,
                           resource_policies=[key_policy], boundary=boundary)
        if not via_key.allowed:
            return Decision(False, f"S3 allowed it, but the bucket key refused {kms_action}: {via_key.reason}")
        return Decision(True, f"{decision.reason}; {kms_action} on the bucket key: {via_key.reason}")

    def decide_action(self, suffix: str, action: str, resource: str, context: dict[str, Any] | None = None,
                      resource_policies: Sequence[dict[str, Any]] = ()) -> Decision:
        """Any other API call of a deployed role, decided by its deployed identity policies and boundary."""
        return evaluate(Request(self.role(suffix)["Arn"], action, resource,
                                {"aws:SecureTransport": "true", **self.session_context(suffix), **(context or {})}),
                        identity_policies=self.identity_policies(suffix), resource_policies=list(resource_policies),
                        boundary=self.boundary(suffix))

    def s3_gateway_endpoint(self, network: str) -> tuple[str, str, dict[str, Any]]:
        """(VPC id, endpoint id, endpoint policy) of the deployed S3 gateway endpoint of ``network``."""
        ec2 = self.client("ec2")
        vpcs = ec2.describe_vpcs(Filters=[{"Name": "tag:Name", "Values": [f"{self.prefix}-{network}"]}])["Vpcs"]
        vpc_id = vpcs[0]["VpcId"]
        endpoints = ec2.describe_vpc_endpoints(Filters=[{"Name": "vpc-id", "Values": [vpc_id]}])["VpcEndpoints"]
        (gateway,) = [e for e in endpoints if e["VpcEndpointType"] == "Gateway"]
        return vpc_id, gateway["VpcEndpointId"], dict(json.loads(gateway["PolicyDocument"]))

    def ensure_account_admin(self) -> None:
        """An administrator role of the account that the platform never granted anything (created in the emulator
        for the drill only): it must still be kept out of the data by the keys and the bucket policies."""
        trust = {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "sts:AssumeRole",
                                                        "Principal": {"AWS": f"arn:aws:iam::{self.account}:root"}}]}
        try:
            self.iam.create_role(RoleName=ACCOUNT_ADMIN_ROLE, AssumeRolePolicyDocument=json.dumps(trust))
        except ClientError as error:
            if error.response["Error"]["Code"] != "EntityAlreadyExists":
                raise
        self.iam.put_role_policy(RoleName=ACCOUNT_ADMIN_ROLE, PolicyName="administrator",
                                 PolicyDocument=json.dumps(ACCOUNT_ADMIN_POLICY))

    def trust(self, suffix: str) -> tuple[str, dict[str, Any]]:
        role = self.role(suffix)
        trust = role["AssumeRolePolicyDocument"]
        return str(role["Arn"]), dict(json.loads(trust) if isinstance(trust, str) else trust)

    def identity_provider(self, suffix: str) -> str:
        """The SAML provider the deployed persona role trusts."""
        _, trust = self.trust(suffix)
        return str(next(s["Principal"]["Federated"] for s in trust["Statement"] if "Federated" in s["Principal"]))

    def decide_assume(self, suffix: str, context: dict[str, Any], *, principal: str | None = None,
                      action: str = "sts:AssumeRoleWithSAML") -> Decision:
        """Evaluate the deployed trust policy for ``principal`` (default: the role's identity provider)."""
        role_arn, trust = self.trust(suffix)
        return evaluate(Request(principal or self.identity_provider(suffix), action, role_arn, context),
                        identity_policies=[], resource_policies=[_with_resource(trust, role_arn)])

    @property
    def mfa_session_tag(self) -> str:
        """The IdP's MFA session tag, as the deployed boundary requires it."""
        boundary = self.boundary("data-engineer") or {}
        for statement in boundary.get("Statement", []):
            for key in statement.get("Condition", {}).get("StringNotEquals", {}):
                if key.startswith("aws:PrincipalTag/"):
                    return str(key.split("/", 1)[1])
        raise RuntimeError("the deployed boundary requires no MFA session tag")

    def session_context(self, suffix: str, *, mfa: bool = True) -> dict[str, Any]:
        """What AWS puts in the request context of this role's sessions: its IAM tags as principal tags and, for a
        person signed in through the IdP, the session tags and source identity the IdP set
        (https://docs.aws.amazon.com/IAM/latest/UserGuide/id_session-tags.html)."""
        if suffix == ACCOUNT_ADMIN_ROLE:
            return {}
        tags = {t["Key"]: t["Value"] for t in self.iam.list_role_tags(RoleName=self.role_name(suffix))["Tags"]}
        context: dict[str, Any] = {f"aws:PrincipalTag/{key}": value for key, value in tags.items()}
        if tags.get("ztai:kind") == "human":
            context["aws:SourceIdentity"] = "alice@example.com"
            if mfa:
                context[f"aws:PrincipalTag/{self.mfa_session_tag}"] = "true"
        return context

    def session(self, suffix: str) -> Any:
        """Credentials of the deployed role from the emulator's STS, for real requests against the emulator.

        moto evaluates no trust policy, so how the credentials were issued proves nothing; in AWS a person gets
        them through the IdP (AssumeRoleWithSAML, decided by the trust-policy attempts below)."""
        credentials = self.sts.assume_role(
            RoleArn=self.role(suffix)["Arn"],
            RoleSessionName="red-team-drill",
            SourceIdentity="red-team-drill",
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
    human_attempts(deployed, record)
    record(
        "data engineer writes the model registry",
        "DENY",
        deployed.decide("data-engineer", "s3:PutObject", "models", "models/backdoored.bin", PUT_NEW),
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
        "trainer writes a new model (create-only upload)",
        "ALLOW",
        deployed.decide("model-trainer", "s3:PutObject", "models", "models/v2/model.bin", PUT_NEW),
    )
    record(
        "data engineer writes raw data",
        "ALLOW",
        deployed.decide("data-engineer", "s3:PutObject", "raw", "raw/2026/11/25/events.json", PUT),
    )
    perimeter_attempts(deployed, record)

    # -- the ML lifecycle: each stage with its deployed role, each tampering caught by the next stage --------
    drill_lifecycle.lifecycle_attempts(deployed, endpoint, record)

    # -- serving tokens and automated quarantine (the platform's own runtime code) --------------------
    drill_response.client_secret_attempts(deployed, prefix, record)
    drill_response.token_attempts(deployed.client, endpoint, prefix, record)
    drill_response.quarantine_attempts(deployed.client, endpoint, region, prefix, account, deployed.decide, record)

    # -- model APIs (issue 19): Bedrock and external egress, on the synthesized rules of an environment with both
    drill_model_apis.model_api_attempts(record)
    return verdicts


SAML_SIGN_IN = {"SAML:aud": "https://signin.aws.amazon.com/saml", "aws:SecureTransport": "true"}


def human_attempts(deployed: DeployedPolicies, record: Callable[..., None]) -> None:
    """People: only through the IdP (AssumeRoleWithSAML) with a source identity, and only MFA sessions can act.
    The contexts are what STS builds from a SAML assertion (SAML:aud, sts:SourceIdentity from the SourceIdentity
    attribute, aws:RequestTag/* from PrincipalTag attributes); a role session never carries MFA keys."""
    account = deployed.account
    tag = deployed.mfa_session_tag
    signed_in = {**SAML_SIGN_IN, "sts:SourceIdentity": "alice@example.com"}
    for persona in ("model-trainer", "break-glass", "security-auditor"):
        record(f"assume {persona} through the IdP without a source identity", "DENY",
               deployed.decide_assume(persona, dict(SAML_SIGN_IN)))
        record(f"assume {persona} with a SAML assertion for another audience", "DENY",
               deployed.decide_assume(persona, {**signed_in, "SAML:aud": "https://attacker.example/saml"}))
        record(f"assume {persona} from another identity provider", "DENY",
               deployed.decide_assume(persona, signed_in,
                                      principal=f"arn:aws:iam::{account}:saml-provider/attacker-idp"))
        # an SSO/role session: STS never adds aws:MultiFactorAuthPresent to it, and the trust names no AWS principal
        record(f"an SSO role session assumes {persona} (sts:AssumeRole)", "DENY",
               deployed.decide_assume(persona, {"aws:SecureTransport": "true", "sts:SourceIdentity": "bob"},
                                      principal=f"arn:aws:iam::{account}:role/sso/AnyPermissionSet",
                                      action="sts:AssumeRole"))
    record("assume model-trainer through the IdP with a source identity (and its session tags)", "ALLOW",
           deployed.decide_assume("model-trainer", {**signed_in, f"aws:RequestTag/{tag}": "true"}))
    record("the IdP passes the MFA session tag (sts:TagSession)", "ALLOW",
           deployed.decide_assume("model-trainer", {**signed_in, f"aws:RequestTag/{tag}": "true"},
                                  action="sts:TagSession"))
    record("a trainer session the IdP did not mark as MFA reads training data", "DENY",
           deployed.decide("model-trainer", "s3:GetObject", "training", "training/part-0001.parquet",
                           {**TLS, f"aws:PrincipalTag/{tag}": "false"}))
    no_tag = {k: v for k, v in deployed.session_context("model-trainer", mfa=False).items()}
    record("a trainer session without the IdP's MFA tag reads training data", "DENY",
           _without_mfa(deployed, "model-trainer", no_tag))


def _without_mfa(deployed: DeployedPolicies, suffix: str, session: dict[str, Any]) -> Decision:
    """The same read with exactly the session context AWS builds when the IdP sent no MFA tag."""
    role_arn = deployed.role(suffix)["Arn"]
    bucket = deployed.bucket("training")
    return evaluate(Request(role_arn, "s3:GetObject", f"arn:aws:s3:::{bucket}/training/part-0001.parquet",
                            {**TLS, **session, "aws:PrincipalAccount": deployed.account}),
                    identity_policies=deployed.identity_policies(suffix),
                    resource_policies=[deployed.bucket_policy("training")], boundary=deployed.boundary(suffix))


def perimeter_attempts(deployed: DeployedPolicies, record: Callable[..., None]) -> None:
    """Doors an independent review found (issue 14), each tried with a request context AWS would produce."""
    # 1. an account administrator the platform never granted anything: identity policy s3:* + kms:* on "*"
    deployed.ensure_account_admin()
    for domain, key in (("validation", "validation/holdout.parquet"), ("training", "training/part-0001.parquet")):
        record(f"an account admin (s3:*, kms:* on *) reads {domain} data", "DENY",
               deployed.decide(ACCOUNT_ADMIN_ROLE, "s3:GetObject", domain, key, TLS))
    key_arn, key_policy = deployed.bucket_key("validation")
    record("an account admin decrypts with the validation key directly", "DENY",
           deployed.decide_action(ACCOUNT_ADMIN_ROLE, "kms:Decrypt", key_arn, {"kms:CallerAccount": deployed.account},
                                  resource_policies=[key_policy]))
    record("an account admin still administers the validation key (lockout safety)", "ALLOW",
           deployed.decide_action(ACCOUNT_ADMIN_ROLE, "kms:PutKeyPolicy", key_arn, resource_policies=[key_policy]))
    record("break-glass restores the validation key's policy (lockout safety)", "ALLOW",
           deployed.decide_action("break-glass", "kms:PutKeyPolicy", key_arn, resource_policies=[key_policy]))
    models_bucket = f"arn:aws:s3:::{deployed.bucket('models')}"
    record("break-glass restores the model registry's bucket policy (lockout safety)", "ALLOW",
           deployed.decide_action("break-glass", "s3:PutBucketPolicy", models_bucket,
                                  resource_policies=[deployed.bucket_policy("models")]))
    record("data engineer rewrites the validation key's policy", "DENY",
           deployed.decide_action("data-engineer", "kms:PutKeyPolicy", key_arn, resource_policies=[key_policy]))

    # 2. workload credentials: only from inside the platform's VPC (through its S3 endpoint)
    vpc_id, endpoint_id, endpoint_policy = deployed.s3_gateway_endpoint("training")
    inside = {**TLS, "aws:SourceVpc": vpc_id, "aws:SourceVpce": endpoint_id}
    record("training job reads training data from the training VPC", "ALLOW",
           deployed.decide("training-job", "s3:GetObject", "training", "training/part-0001.parquet", inside,
                           endpoint_policies=[endpoint_policy]))
    record("training job credentials used outside the VPC read training data", "DENY",
           deployed.decide("training-job", "s3:GetObject", "training", "training/part-0001.parquet", TLS))
    record("training job credentials used from another VPC read training data", "DENY",
           deployed.decide("training-job", "s3:GetObject", "training", "training/part-0001.parquet",
                           {**TLS, "aws:SourceVpc": "vpc-0attacker0000000", "aws:SourceVpce": "vpce-0attacker00000"}))

    # 3. the deployer cannot switch off mutual TLS or swap the fleet's launch template outside Terraform
    region, account, prefix = deployed.region, deployed.account, deployed.prefix
    elbv2 = deployed.client("elbv2")
    (balancer,) = [b for b in elbv2.describe_load_balancers()["LoadBalancers"]
                   if b["LoadBalancerName"].startswith(prefix)]
    (listener,) = elbv2.describe_listeners(LoadBalancerArn=balancer["LoadBalancerArn"])["Listeners"]
    record("model deployer turns mutual TLS off (ModifyListener)", "DENY",
           deployed.decide_action("model-deployer", "elasticloadbalancing:ModifyListener", listener["ListenerArn"]))
    templates = deployed.client("ec2").describe_launch_templates()["LaunchTemplates"]
    inference_template = next(t for t in templates if t["LaunchTemplateName"] == f"{prefix}-inference")
    template_arn = f"arn:aws:ec2:{region}:{account}:launch-template/{inference_template['LaunchTemplateId']}"
    record("model deployer writes a new inference launch-template version", "DENY",
           deployed.decide_action("model-deployer", "ec2:CreateLaunchTemplateVersion", template_arn))
    group_arn = (f"arn:aws:autoscaling:{region}:{account}:autoScalingGroup:00000000-0000-0000-0000-000000000000:"
                 f"autoScalingGroupName/{prefix}-inference")
    record("model deployer points the fleet at another template version (UpdateAutoScalingGroup)", "DENY",
           deployed.decide_action("model-deployer", "autoscaling:UpdateAutoScalingGroup", group_arn))
    record("model deployer scales the fleet (SetDesiredCapacity)", "ALLOW",
           deployed.decide_action("model-deployer", "autoscaling:SetDesiredCapacity", group_arn))

    # 4. integrity: uploads exactly as the SDK sends them (headers captured from botocore before the wire)
    default_upload = sdk_upload_headers(lambda s3: s3.put_object(Bucket="b", Key="k", Body=b"rows"), region)
    platform_upload = sdk_upload_headers(
        lambda s3: manifests.upload_artifact(s3, "b", "k", b"rows", create_only=True), region)
    default_hash = default_upload["x-amz-content-sha256"]
    record(f"data engineer uploads with the SDK's default payload ({default_hash})", "DENY",
           deployed.decide("data-engineer", "s3:PutObject", "raw", "raw/default-sdk.csv",
                           {**PUT, "s3:x-amz-content-sha256": default_hash}))
    record("data engineer uploads with the platform's uploader (signed SHA-256 payload)", "ALLOW",
           deployed.decide("data-engineer", "s3:PutObject", "raw", "raw/signed.csv",
                           {**PUT, "s3:x-amz-content-sha256": platform_upload["x-amz-content-sha256"]}))
    record("trainer overwrites an existing model key (no If-None-Match)", "DENY",
           deployed.decide("model-trainer", "s3:PutObject", "models", "models/v1/model.bin", PUT))

    # 5. quarantine: break-glass may extend a quarantine, never blind the response
    schedule = (f"arn:aws:scheduler:{region}:{account}:schedule/{prefix}-quarantine/"
                f"{schedule_name(f'{prefix}-data-engineer')}")
    record("break-glass extends a quarantine (deletes its scheduled release)", "ALLOW",
           deployed.decide_action("break-glass", "scheduler:DeleteSchedule", schedule))
    for role in ("trail-to-cloudwatch", "quarantine-function", "training-flow-logs"):
        record(f"break-glass strips the {role} role's policy", "DENY",
               deployed.decide_action("break-glass", "iam:DeleteRolePolicy", deployed.role(role)["Arn"]))


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
        f"  ML lifecycle (issue 17): {sum(v.attempt.startswith('lifecycle: ') for v in verdicts)} attempts "
        f"({sum(v.attempt.startswith('lifecycle: ') and v.correct for v in verdicts)} as expected)",
        *[f"  model APIs (issue 19), {how}: {sum(v.how == how for v in verdicts)} attempts"
          for how in sorted({v.how for v in verdicts if v.attempt.startswith("model APIs (")})],
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

        from stacks.config.loader import load_all

        (local,) = load_all(Path(__file__).resolve().parents[2] / "environments", only=["local"])
        assert local.config.emulator is not None
        endpoint = local.config.emulator.endpoint
    verdicts = run(endpoint)
    print(summarize(verdicts))
    return 0 if all(v.correct for v in verdicts) else 1


if __name__ == "__main__":
    sys.exit(main())
