"""PersonaRole: a human role that requires fresh MFA and a source identity, inside a permissions boundary."""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from typing import Any, ClassVar

from cdktf_cdktf_provider_aws.iam_role import IamRole
from cdktf_cdktf_provider_aws.iam_role_policy import IamRolePolicy
from constructs import Construct
from pydantic import BaseModel, ConfigDict, Field

from zero_trust_ai.base import PlatformConstruct
from zero_trust_ai.permissions_boundary import PermissionsBoundary
from zero_trust_ai.policy import PolicyDocument, Statement, require_statements


class PersonaRoleProps(BaseModel):
    """Props of :class:`PersonaRole`."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    role_name: str = Field(pattern=r"^[\w+=,.@-]{1,64}$")
    grant_name: str = Field(pattern=r"^[A-Za-z0-9]+$", description="Alphanumeric name used in statement ids.")
    persona: str = Field(pattern=r"^[a-z_]+$", description="Persona key, e.g. ``model_trainer`` (tagged on the role).")
    principals: Sequence[str] = Field(min_length=1, description="Principals allowed to assume the role.")
    mfa_max_age_seconds: int = Field(ge=300, le=43200, description="aws:MultiFactorAuthAge bound.")
    max_session_duration: int = Field(default=3600, ge=900, le=3600, description="Default: one hour (ceiling).")
    description: str = Field(min_length=8)


class PersonaRole(PlatformConstruct):
    """A role for people. Assuming it requires

    * one of the configured principals;
    * ``aws:MultiFactorAuthPresent`` = true **and** ``aws:MultiFactorAuthAge`` below the configured bound;
    * a source identity (``sts:SourceIdentity`` set), so every action traces back to a person.

    Sessions last at most one hour; the role carries the platform permissions boundary; permissions are
    added only through construct grants (``bucket.grant_read(role, prefix=...)``), never as raw JSON.
    """

    implements: ClassVar[tuple[str, ...]] = ('ZT-IAM-1', 'ZT-IAM-2')

    def __init__(self, scope: Construct, id: str, *, props: PersonaRoleProps, boundary: PermissionsBoundary) -> None:
        super().__init__(scope, id)
        self.props = props
        trust = {
            "Version": "2012-10-17",
            "Statement": [
                {
                    "Sid": "PeopleWithFreshMfaAndSourceIdentity",
                    "Effect": "Allow",
                    "Principal": {"AWS": sorted(props.principals)},
                    "Action": ["sts:AssumeRole", "sts:SetSourceIdentity", "sts:TagSession"],
                    "Condition": {
                        "Bool": {"aws:MultiFactorAuthPresent": "true"},
                        "NumericLessThan": {"aws:MultiFactorAuthAge": str(props.mfa_max_age_seconds)},
                        "Null": {"sts:SourceIdentity": "false"},
                    },
                }
            ],
        }
        self.role = IamRole(
            self,
            "role",
            name=props.role_name,
            description=props.description,
            assume_role_policy=json.dumps(trust, separators=(",", ":")),
            max_session_duration=props.max_session_duration,
            permissions_boundary=boundary.policy_arn,
            tags={"ztai:persona": props.persona, "ztai:kind": "human"},
        )
        self.policy = PolicyDocument()
        IamRolePolicy(self, "policy", name=f"{props.role_name}-grants", role=self.role.id,
                      policy=self.policy.lazy_json())
        require_statements(self, self.policy, f"persona role {props.role_name}")

    @property
    def role_arn(self) -> str:
        return self.role.arn

    @property
    def role_name(self) -> str:
        return self.props.role_name

    @property
    def grant_name(self) -> str:
        return self.props.grant_name

    def add_to_policy(self, statement: Statement) -> None:
        self.policy.add(statement)

    def deny_actions(self, sid: str, actions: Sequence[str], *, conditions: Mapping[str, Mapping[str, Any]],
                     resources: Sequence[str] = ("*",)) -> None:
        """An explicit Deny (wins over every Allow), typically guarding an action with required conditions."""
        self.policy.add(Statement(sid=sid, effect="Deny", actions=actions, resources=resources, conditions=conditions))

    def grant_actions(self, sid: str, actions: Sequence[str], resources: Sequence[str]) -> None:
        """Grant an explicit action list on explicit resources (no wildcard actions: enforced)."""
        self.policy.add(Statement(sid=sid, effect="Allow", actions=actions, resources=resources))
