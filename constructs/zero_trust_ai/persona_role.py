"""PersonaRole: a human role reached through the organisation's SAML identity provider, inside a boundary."""

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
from zero_trust_ai.validation import IdpGroup, SamlProviderArn, SessionDuration, SessionTagKey

# The SAML audience of the AWS sign-in endpoint (what STS puts in SAML:aud for a console or CLI federation).
SAML_AUDIENCE = "https://signin.aws.amazon.com/saml"


class HumanFederation(BaseModel):
    """How people reach the persona roles: SAML federation from the organisation's identity provider.

    STS puts ``aws:MultiFactorAuthPresent``/``aws:MultiFactorAuthAge`` only into sessions of IAM *users* who pass
    their MFA device (https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_condition-keys.html#
    condition-keys-multifactorauthpresent); a federated or role session never carries them, so a trust policy that
    requires them can never be satisfied by a person signing in through an IdP. MFA is therefore enforced by the
    identity source, and proven to AWS by the IdP: it sets the session tag ``mfa_session_tag`` = ``true`` only
    for a sign-in with MFA (a ``PrincipalTag`` SAML attribute), and the source identity (the person) with the
    ``SourceIdentity`` SAML attribute (https://docs.aws.amazon.com/IAM/latest/UserGuide/id_session-tags.html,
    https://docs.aws.amazon.com/IAM/latest/UserGuide/id_credentials_temp_control-access_monitor.html).
    """

    model_config = ConfigDict(frozen=True, extra="forbid")

    saml_provider_arn: SamlProviderArn = Field(description="IAM SAML provider of the organisation's IdP.")
    mfa_session_tag: SessionTagKey = Field(default="ztai-mfa",
                                           description="Session tag the IdP sets to `true` only after an MFA sign-in.")
    audience: str = Field(default=SAML_AUDIENCE, description="SAML:aud the trust policy requires.")


class PersonaRoleProps(BaseModel):
    """Props of :class:`PersonaRole`."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    role_name: str = Field(pattern=r"^[\w+=,.@-]{1,64}$")
    grant_name: str = Field(pattern=r"^[A-Za-z0-9]+$", description="Alphanumeric name used in statement ids.")
    persona: str = Field(pattern=r"^[a-z_]+$", description="Persona key, e.g. ``model_trainer`` (tagged on the role).")
    federation: HumanFederation = Field(description="The identity provider people sign in through.")
    idp_group: IdpGroup = Field(description="The IdP group mapped to this role (tagged on the role, shown in the map).")
    max_session_duration: SessionDuration = Field(default=3600, description="900..3600 s. Default: one hour "
                                                  "(the ceiling).")
    description: str = Field(min_length=8)


class PersonaRole(PlatformConstruct):
    """A role for people. Assuming it requires

    * a SAML assertion from the configured identity provider for the AWS sign-in audience (``SAML:aud``);
    * a source identity set by the IdP (``sts:SourceIdentity``), so every action traces back to a person;
    * and, enforced on every request by the permissions boundary, the IdP's MFA session tag (see
      :class:`HumanFederation`): a session the IdP did not mark as MFA-authenticated can do nothing.

    Sessions last at most one hour; the role carries the platform permissions boundary; permissions are
    added only through construct grants (``bucket.grant_read(role, prefix=...)``), never as raw JSON.
    """

    implements: ClassVar[tuple[str, ...]] = ('ZT-IAM-1', 'ZT-IAM-2')

    def __init__(self, scope: Construct, id: str, *, props: PersonaRoleProps, boundary: PermissionsBoundary) -> None:
        super().__init__(scope, id)
        self.props = props
        federation = props.federation
        audience = {"StringEquals": {"SAML:aud": federation.audience}}
        trust = {
            "Version": "2012-10-17",
            "Statement": [
                {
                    "Sid": "PeopleThroughTheIdentityProvider",
                    "Effect": "Allow",
                    "Principal": {"Federated": federation.saml_provider_arn},
                    "Action": "sts:AssumeRoleWithSAML",
                    "Condition": {**audience, "Null": {"sts:SourceIdentity": "false"}},
                },
                {
                    # the IdP passes the person (source identity) and the MFA marker (session tag)
                    "Sid": "IdentityProviderSetsSourceIdentityAndTags",
                    "Effect": "Allow",
                    "Principal": {"Federated": federation.saml_provider_arn},
                    "Action": ["sts:SetSourceIdentity", "sts:TagSession"],
                    "Condition": audience,
                },
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
            # never the MFA tag key: a role tag would stand in for the IdP's session tag
            tags={"ztai:persona": props.persona, "ztai:kind": "human", "ztai:idp-group": props.idp_group},
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
