"""PermissionsBoundary: the ceiling of every human role on the platform."""

from __future__ import annotations

from collections.abc import Sequence
from typing import ClassVar

from cdktf_cdktf_provider_aws.iam_policy import IamPolicy
from constructs import Construct
from pydantic import BaseModel, ConfigDict, Field

from zero_trust_ai import actions
from zero_trust_ai.base import PlatformConstruct
from zero_trust_ai.policy import PolicyDocument, Statement

# Services whose Get/List/Filter calls read data, logs or secrets: never allowed on "*" by the boundary.
DATA_SERVICES = frozenset({"s3", "kms", "secretsmanager", "ssm", "logs"})


class PermissionsBoundaryProps(BaseModel):
    """Props of :class:`PermissionsBoundary`."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    policy_name: str = Field(pattern=r"^[\w+=,.@-]{1,128}$")
    name_prefix: str = Field(pattern=r"^[a-z0-9-]{3,40}$", description="Resources are limited to this prefix.")
    region: str
    account_id: str = Field(pattern=r"^\d{12}$")
    allowed_actions: Sequence[str] = Field(min_length=1, description="Every action any persona may ever use.")
    recovery_actions: Sequence[str] = Field(
        default=(), description="Escape-hatch actions this boundary lets through anyway (only break-glass's: "
        "restoring a key or bucket policy). Default: none -- every escape hatch is denied.")
    mfa_session_tag: str | None = Field(
        default=None, pattern=r"^[A-Za-z0-9_.:/=+@-]{1,128}$",
        description="Session tag the identity provider sets to `true` after an MFA sign-in; when given, every "
        "request of a session without it is denied (MFA enforced on every call, not only at sign-in).")


class PermissionsBoundary(PlatformConstruct):
    """A managed policy used as permissions boundary: it allows at most the listed actions on the
    platform's own resources, and denies identity, logging, key and network escape hatches outright --
    even a mistaken grant cannot exceed it."""

    implements: ClassVar[tuple[str, ...]] = ('ZT-IAM-2',)

    def __init__(self, scope: Construct, id: str, *, props: PermissionsBoundaryProps) -> None:
        super().__init__(scope, id)
        prefix, region, account = props.name_prefix, props.region, props.account_id
        platform_resources = [
            f"arn:aws:s3:::{prefix}-*", f"arn:aws:s3:::{prefix}-*/*",
            f"arn:aws:kms:{region}:{account}:key/*",
            f"arn:aws:iam::{account}:role/{prefix}-*",
            f"arn:aws:sagemaker:{region}:{account}:*",
            f"arn:aws:batch:{region}:{account}:*",
            f"arn:aws:elasticloadbalancing:{region}:{account}:*",
            f"arn:aws:autoscaling:{region}:{account}:*",
            f"arn:aws:ec2:{region}:{account}:*",
            f"arn:aws:logs:{region}:{account}:*",
            f"arn:aws:cloudtrail:{region}:{account}:*",
            f"arn:aws:guardduty:{region}:{account}:*",
            f"arn:aws:securityhub:{region}:{account}:*",
            f"arn:aws:scheduler:{region}:{account}:*",
            f"arn:aws:execute-api:{region}:{account}:*",
            f"arn:aws:secretsmanager:{region}:{account}:secret:{prefix}/*",
        ]
        # Read-only calls that need "*" (Describe/List APIs without resource-level permissions). Data reads
        # (S3 objects, KMS, secrets, parameters) are never among them: those stay on platform resources only.
        global_reads = [a for a in sorted(set(props.allowed_actions))
                        if a.split(":")[1].startswith(("Describe", "List", "Get", "Lookup", "Filter", "StartQuery"))
                        and a.split(":")[0] not in DATA_SERVICES]
        document = PolicyDocument(
            [
                Statement(sid="PlatformActionsOnPlatformResources", effect="Allow",
                          actions=sorted(set(props.allowed_actions) | set(props.recovery_actions)),
                          resources=platform_resources),
                Statement(sid="ReadOnlyDescribeCalls", effect="Allow", actions=global_reads, resources=["*"]),
                Statement(sid="NeverEscalateOrEscape", effect="Deny",
                          actions=[a for a in actions.BOUNDARY_DENIED if a not in props.recovery_actions]),
            ]
        )
        if props.mfa_session_tag:
            # StringNotEquals on an absent key is true: a session the IdP did not tag is denied everything.
            tag_key = f"aws:PrincipalTag/{props.mfa_session_tag}"
            document.add(Statement(sid="OnlyMfaSessionsOfTheIdentityProvider", effect="Deny", actions=["*"],
                                   conditions={"StringNotEquals": {tag_key: "true"}}))
        self.policy = IamPolicy(self, "policy", name=props.policy_name,
                                description="Permissions boundary of every human role on the platform",
                                policy=document.to_json())

    @property
    def policy_arn(self) -> str:
        return self.policy.arn
