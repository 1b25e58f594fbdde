"""PlatformIdentities: the permissions boundary and one role per human persona."""

from __future__ import annotations

from collections.abc import Mapping
from typing import ClassVar

from constructs import Construct
from pydantic import BaseModel, ConfigDict, Field, field_validator

from zero_trust_ai import actions
from zero_trust_ai.base import PlatformConstruct
from zero_trust_ai.permissions_boundary import PermissionsBoundary, PermissionsBoundaryProps
from zero_trust_ai.persona_role import HumanFederation, PersonaRole, PersonaRoleProps
from zero_trust_ai.personas import PERSONA_NAMES
from zero_trust_ai.validation import IdpGroup, InvalidInput, SessionDuration

# persona key -> (construct id / role suffix, grant name, description). Ids are a contract.
PERSONAS: dict[str, tuple[str, str, str]] = {
    "data_engineer": ("data-engineer", "DataEngineer", "Ingests raw data and builds features"),
    "model_trainer": ("model-trainer", "ModelTrainer", "Trains models on features and training data"),
    "model_deployer": ("model-deployer", "ModelDeployer", "Updates serving and routing, invokes endpoints"),
    "security_auditor": ("security-auditor", "SecurityAuditor", "Read-only access to logs and findings"),
    "break_glass": ("break-glass", "BreakGlass", "Emergency access; every use raises an alarm"),
}
if tuple(PERSONAS) != PERSONA_NAMES:
    raise RuntimeError(f"PERSONAS lists {tuple(PERSONAS)}, zero_trust_ai.personas {PERSONA_NAMES}")

# Every action any persona may be granted: the boundary's allow list (grants outside it have no effect).
BOUNDARY_ACTIONS: tuple[str, ...] = tuple(sorted(set(
    actions.S3_READ + actions.S3_LIST + actions.S3_WRITE + actions.KMS_DECRYPT + actions.KMS_ENCRYPT_DECRYPT
    + actions.KMS_SIGN + actions.KMS_VERIFY + actions.SAGEMAKER_TRAINING + actions.BATCH_TRAINING
    + actions.SERVING_UPDATE + actions.SERVING_DESCRIBE + actions.SERVING_INVOKE + actions.AUDIT_READ
    + actions.BREAK_GLASS + actions.BREAK_GLASS_QUARANTINE + actions.PASS_ROLE + actions.SECRET_READ
)))


class PlatformIdentitiesProps(BaseModel):
    """Props of :class:`PlatformIdentities`."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    name_prefix: str = Field(pattern=r"^[a-z0-9-]{3,40}$")
    region: str
    account_id: str = Field(pattern=r"^\d{12}$")
    federation: HumanFederation = Field(description="The SAML identity provider people sign in through.")
    idp_groups: Mapping[str, IdpGroup] = Field(
        description="Persona key -> the IdP group mapped to its role; exactly one entry per persona of "
        "zero_trust_ai.personas.PERSONA_NAMES.")
    max_session_duration: SessionDuration = Field(default=3600, description="900..3600 s. Default: one hour.")

    @field_validator("idp_groups")
    @classmethod
    def _every_persona(cls, groups: Mapping[str, str]) -> Mapping[str, str]:
        missing = [name for name in PERSONA_NAMES if name not in groups]
        unknown = sorted(set(groups) - set(PERSONA_NAMES))
        if missing:
            raise InvalidInput(f"idp_groups missing for persona(s) {missing}",
                               fix=f"map each of {list(PERSONA_NAMES)} to its IdP group")
        if unknown:
            raise InvalidInput(f"idp_groups names unknown persona(s) {unknown}",
                               fix=f"use only {list(PERSONA_NAMES)}")
        return groups


class PlatformIdentities(PlatformConstruct):
    """Creates the boundary and the five persona roles; grant them access with the data constructs."""

    implements: ClassVar[tuple[str, ...]] = ('ZT-IAM-1', 'ZT-IAM-2')

    def __init__(self, scope: Construct, id: str, *, props: PlatformIdentitiesProps) -> None:
        super().__init__(scope, id)
        self.boundary = PermissionsBoundary(
            self, "boundary",
            props=PermissionsBoundaryProps(policy_name=f"{props.name_prefix}-human-boundary",
                                           name_prefix=props.name_prefix, region=props.region,
                                           account_id=props.account_id, allowed_actions=BOUNDARY_ACTIONS,
                                           mfa_session_tag=props.federation.mfa_session_tag),
        )
        # break-glass's own ceiling: the same, plus restoring key and bucket policies (lockout safety)
        self.break_glass_boundary = PermissionsBoundary(
            self, "break_glass_boundary",
            props=PermissionsBoundaryProps(policy_name=f"{props.name_prefix}-break-glass-boundary",
                                           name_prefix=props.name_prefix, region=props.region,
                                           account_id=props.account_id, allowed_actions=BOUNDARY_ACTIONS,
                                           recovery_actions=actions.BREAK_GLASS_RECOVERY,
                                           mfa_session_tag=props.federation.mfa_session_tag),
        )
        self.personas: dict[str, PersonaRole] = {}
        for persona, (suffix, grant_name, description) in PERSONAS.items():
            self.personas[persona] = PersonaRole(
                self, persona, boundary=self.break_glass_boundary if persona == "break_glass" else self.boundary,
                props=PersonaRoleProps(
                    role_name=f"{props.name_prefix}-{suffix}", grant_name=grant_name, persona=persona,
                    federation=props.federation, idp_group=props.idp_groups[persona],
                    max_session_duration=props.max_session_duration, description=description,
                ),
            )

    @property
    def data_engineer(self) -> PersonaRole:
        return self.personas["data_engineer"]

    @property
    def model_trainer(self) -> PersonaRole:
        return self.personas["model_trainer"]

    @property
    def model_deployer(self) -> PersonaRole:
        return self.personas["model_deployer"]

    @property
    def security_auditor(self) -> PersonaRole:
        return self.personas["security_auditor"]

    @property
    def break_glass(self) -> PersonaRole:
        return self.personas["break_glass"]
