"""WorkloadRole: one IAM role per workload, trusting exactly one AWS service."""

from __future__ import annotations

import json
import re
from collections.abc import Mapping, Sequence
from typing import Any, ClassVar

from cdktf_cdktf_provider_aws.iam_role import IamRole
from cdktf_cdktf_provider_aws.iam_role_policy import IamRolePolicy
from constructs import Construct
from pydantic import BaseModel, ConfigDict, Field, model_validator

from zero_trust_ai import actions
from zero_trust_ai.base import PlatformConstruct
from zero_trust_ai.policy import Grantee, PolicyDocument, Statement, require_statements
from zero_trust_ai.validation import InvalidInput, SessionDuration, TrustOptOutReason


class WorkloadRoleProps(BaseModel):
    """Props of :class:`WorkloadRole`."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    role_name: str = Field(pattern=r"^[\w+=,.@-]{1,64}$")
    grant_name: str = Field(pattern=r"^[A-Za-z0-9]+$", description="Alphanumeric name used in statement ids.")
    service: str = Field(pattern=r"^[a-z0-9.-]+\.amazonaws\.com$", description="The one service that may assume it.")
    account_id: str = Field(pattern=r"^\d{12}$", description="Value of the aws:SourceAccount condition.")
    source_arn_pattern: str | None = Field(
        default=None,
        description="Value of the aws:SourceArn condition (ArnLike). Required unless "
        "``source_conditions_opt_out_reason`` explains why the service sends no source context.",
    )
    source_arn_opt_out_reason: TrustOptOutReason | None = Field(
        default=None,
        description="Why the trust policy carries aws:SourceAccount only (the service sends no aws:SourceArn when "
        "it assumes the role). Default: no opt-out.",
    )
    source_conditions_opt_out_reason: TrustOptOutReason | None = Field(
        default=None,
        description="Why the trust policy cannot carry aws:SourceAccount/aws:SourceArn (e.g. EC2 instance "
        "profiles). Default: no opt-out -- both conditions are set.",
    )
    max_session_duration: SessionDuration = Field(default=3600, description="900..3600 s. Default: one hour "
                                                  "(the ceiling).")
    description: str = Field(min_length=8)

    @model_validator(mode="after")
    def _confused_deputy_safe(self) -> WorkloadRoleProps:
        if self.source_conditions_opt_out_reason is None and not self.source_arn_pattern \
                and not self.source_arn_opt_out_reason:
            raise InvalidInput(f"{self.role_name}: source_arn_pattern is required (confused-deputy protection)",
                               fix="set source_arn_pattern to the ARN(s) of the resources that use the role, or "
                               "give source_arn_opt_out_reason when the service sends no aws:SourceArn",
                               field=("source_arn_pattern",))
        return self


# The documented reason for the one trust-scope exception (EC2 instance profiles).
EC2_INSTANCE_PROFILE_REASON = (
    "EC2 sends no aws:SourceAccount or aws:SourceArn when an instance profile assumes its role; "
    "scoped by the instance profile and launch template instead"
)


# The documented reason for Lambda execution roles: Lambda passes no aws:SourceArn when it assumes them.
LAMBDA_EXECUTION_ROLE_REASON = (
    "Lambda sends no aws:SourceArn when it assumes an execution role (it injects lambda:SourceFunctionArn into "
    "the session instead); scoped by aws:SourceAccount and by iam:PassRole"
)


def _tag_value(text: str) -> str:
    """AWS tag values allow letters, digits, spaces and + - = . _ : / @ (max 256)."""
    return re.sub(r"[^\w +\-=.:/@]", "", text)[:256]


class WorkloadRole(PlatformConstruct):
    """A service role with ``aws:SourceAccount``/``aws:SourceArn`` trust conditions (confused-deputy safe).

    Permissions are added through grants; the inline policy is rendered at synth time.
    """

    implements: ClassVar[tuple[str, ...]] = ('ZT-IAM-3', 'ZT-NET-3')

    def __init__(self, scope: Construct, id: str, *, props: WorkloadRoleProps, has_inline_policy: bool = True) -> None:
        super().__init__(scope, id)
        self.props = props
        conditions: dict[str, Mapping[str, Any]] = {}
        if props.source_conditions_opt_out_reason is None:
            conditions["StringEquals"] = {"aws:SourceAccount": props.account_id}
            if props.source_arn_pattern:
                conditions["ArnLike"] = {"aws:SourceArn": props.source_arn_pattern}
        trust = PolicyDocument(
            [
                Statement(
                    sid="TrustOnlyTheWorkloadService",
                    effect="Allow",
                    principals={"Service": props.service},
                    actions=["sts:AssumeRole"],
                    conditions=conditions,
                )
            ]
        )
        trust_json = json.loads(trust.to_json())
        for statement in trust_json["Statement"]:
            statement.pop("Resource", None)  # trust policies have no Resource element
        exception = props.source_conditions_opt_out_reason or props.source_arn_opt_out_reason
        self.role = IamRole(
            self,
            "role",
            name=props.role_name,
            description=props.description,
            assume_role_policy=json.dumps(trust_json, separators=(",", ":")),
            max_session_duration=props.max_session_duration,
            tags={"ztai:kind": "workload",
                  **({"ztai:trust-scope-exception": _tag_value(exception)} if exception else {})},
        )
        self.policy = PolicyDocument()
        self._has_inline_policy = has_inline_policy
        if has_inline_policy:
            IamRolePolicy(self, "policy", name=f"{props.role_name}-least-privilege", role=self.role.id,
                          policy=self.policy.lazy_json())
            require_statements(self, self.policy, f"role {props.role_name}")

    @property
    def role_arn(self) -> str:
        return self.role.arn

    @property
    def grant_name(self) -> str:
        return self.props.grant_name

    def add_to_policy(self, statement: Statement) -> None:
        if not self._has_inline_policy:
            raise ValueError(f"{self.props.role_name} was created without an inline policy")
        self.policy.add(statement)

    def bind_data_access_to_networks(self, vpc_ids: Sequence[str]) -> None:
        """Deny this role's data access (S3 objects, KMS data keys and signatures) unless the request comes
        from one of ``vpc_ids`` (through their endpoints: ``aws:SourceVpc``) or is made by an AWS service on the
        role's behalf (``aws:ViaAWSService``, e.g. S3 calling KMS for SSE-KMS). Stolen workload credentials are
        then useless outside the platform's networks.

        ``StringNotEqualsIfExists``: a request from the internet carries no ``aws:SourceVpc`` and is denied too.
        https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_condition-keys.html#condition-keys-sourcevpc
        and aws-samples/data-perimeter-policy-examples (network perimeter on identity policies)."""
        if not vpc_ids:
            raise ValueError(f"{self.props.role_name}: bind_data_access_to_networks() needs at least one VPC")
        self.add_to_policy(Statement(
            sid="DataAccessOnlyFromPlatformNetworks", effect="Deny", actions=actions.NETWORK_BOUND_DATA_ACTIONS,
            resources=["*"],
            conditions={"StringNotEqualsIfExists": {"aws:SourceVpc": list(vpc_ids)},
                        "BoolIfExists": {"aws:ViaAWSService": "false"}}))

    def grant_pass_role(self, grantee: Grantee) -> None:
        """Let ``grantee`` pass this role -- only to the one service that may assume it."""
        grantee.add_to_policy(
            Statement(sid=f"Pass{self.props.grant_name}Role", effect="Allow", actions=actions.PASS_ROLE,
                      resources=[self.role_arn],
                      conditions={"StringEquals": {"iam:PassedToService": self.props.service}})
        )
