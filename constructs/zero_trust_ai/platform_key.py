"""PlatformKey: a customer-managed symmetric KMS key for one data domain."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any, ClassVar

from cdktf_cdktf_provider_aws.kms_alias import KmsAlias
from cdktf_cdktf_provider_aws.kms_key import KmsKey
from constructs import Construct
from pydantic import BaseModel, ConfigDict, Field

from zero_trust_ai import actions
from zero_trust_ai.base import PlatformConstruct
from zero_trust_ai.policy import Grantee, PolicyDocument, Statement, account_root_admin


class PlatformKeyProps(BaseModel):
    """Props of :class:`PlatformKey`."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    alias: str = Field(pattern=r"^alias/[a-zA-Z0-9/_-]+$", description="Alias, e.g. ``alias/ztai-prod-raw``.")
    description: str = Field(min_length=8, description="What the key protects.")
    account_id: str = Field(pattern=r"^\d{12}$", description="Account whose root receives the admin statement.")
    deletion_window_in_days: int = Field(
        default=30, ge=7, le=30, description="Waiting period before deletion. Default: 30 days (the maximum)."
    )


class PlatformKey(PlatformConstruct):
    """A symmetric customer-managed KMS key with rotation on and an explicit least-privilege key policy.

    Rotation uses the AWS default period (365 days); ``rotation_period_in_days`` is left unset because
    the emulator does not store it, which would show as a permanent diff.

    The key policy starts with the account-root *administration* statement (without it a key can become
    unmanageable; it grants no data-plane use, see :func:`~zero_trust_ai.policy.account_root_admin`) and grows
    only through ``grant_*`` calls, each naming its principal and actions.
    """

    implements: ClassVar[tuple[str, ...]] = ('ZT-KMS-1',)

    def __init__(self, scope: Construct, id: str, *, props: PlatformKeyProps) -> None:
        super().__init__(scope, id)
        self.props = props
        self.policy = PolicyDocument([account_root_admin(props.account_id)])
        self.key = KmsKey(
            self,
            "key",
            description=props.description,
            enable_key_rotation=True,
            deletion_window_in_days=props.deletion_window_in_days,
            key_usage="ENCRYPT_DECRYPT",
            customer_master_key_spec="SYMMETRIC_DEFAULT",
            policy=self.policy.lazy_json(),
        )
        KmsAlias(self, "alias", name=props.alias, target_key_id=self.key.key_id)
        # one token for the ARN: jsii returns a new token on every attribute read, and a grant repeated through another
        # prefix of the same bucket must produce an *equal* statement (PolicyDocument.add is idempotent on equality)
        self._key_arn = self.key.arn

    @property
    def key_arn(self) -> str:
        return self._key_arn

    @property
    def key_id(self) -> str:
        return self.key.key_id

    def grant_decrypt(self, grantee: Grantee, *, via_service: str | None = None) -> None:
        self._grant(grantee, "Decrypt", actions.KMS_DECRYPT, via_service)

    def grant_encrypt_decrypt(self, grantee: Grantee, *, via_service: str | None = None) -> None:
        self._grant(grantee, "EncryptDecrypt", actions.KMS_ENCRYPT_DECRYPT, via_service)

    def _grant(self, grantee: Grantee, what: str, key_actions: Sequence[str], via_service: str | None) -> None:
        conditions: dict[str, Mapping[str, Any]] = {}
        if via_service:
            conditions["StringEquals"] = {"kms:ViaService": via_service}
        sid = f"{grantee.grant_name}{what}{self.node.id.replace('_', '').replace('-', '').title()}"
        if via_service:  # a service-scoped grant sits beside an unscoped one of the same grantee
            sid += "Via" + via_service.split(".")[0].title()
        # Identity side: the role may use this key (and only this key).
        grantee.add_to_policy(
            Statement(sid=sid, effect="Allow", actions=key_actions, resources=[self.key_arn], conditions=conditions)
        )
        # Key side: the key policy names the role too, so both policies must agree (zero trust).
        if not any(s.sid == sid for s in self.policy.statements):
            self.policy.add(
                Statement(
                    sid=sid,
                    effect="Allow",
                    principals={"AWS": grantee.role_arn},
                    actions=key_actions,
                    resources=["*"],
                    conditions=conditions,
                )
            )

    def grant_deployment_use(self, principal_arn: str, *, services: Sequence[str], region: str) -> None:
        """Key-policy grant to the principal that runs terraform: it stores deploy-time data under this key
        (``services``, e.g. ``s3`` for function packages) and reads it back on refresh -- only through those
        services (``kms:ViaService``) and only from this account (``kms:CallerAccount``). Without it the account
        root's administration statement would be the only way in, and it grants no data-plane use."""
        if not services:
            raise ValueError("grant_deployment_use(): name the services that store data under the key")
        self.policy.add(Statement(
            sid="DeploymentStoresDataViaServices", effect="Allow", principals={"AWS": principal_arn},
            actions=actions.KMS_DEPLOYMENT, resources=["*"],
            conditions={"StringEquals": {
                "kms:ViaService": sorted(f"{service}.{region}.amazonaws.com" for service in services),
                "kms:CallerAccount": self.props.account_id}}))

    def grant_aws_principal(self, *, sid: str, principal_arn: str | Sequence[str], key_actions: Sequence[str],
                            conditions: Mapping[str, Mapping[str, Any]] | None = None) -> None:
        """Key-policy-only grant to an AWS principal outside this stack's grants (e.g. a service-linked role)."""
        self.policy.add(Statement(sid=sid, effect="Allow", principals={"AWS": principal_arn}, actions=key_actions,
                                  resources=["*"], conditions=conditions or {}))

    def deny_account(self, *, sid: str, account_id: str, key_actions: Sequence[str]) -> None:
        """An explicit Deny of ``key_actions`` to every principal of ``account_id`` (``aws:PrincipalAccount``), e.g.
        the account that only delivers into a key of another account: no later grant can open them."""
        self.policy.add(Statement(sid=sid, effect="Deny", principals={"AWS": "*"}, actions=key_actions,
                                  resources=["*"], conditions={"StringEquals": {"aws:PrincipalAccount": account_id}}))

    def grant_service(
        self,
        *,
        sid: str,
        service: str,
        key_actions: Sequence[str] = actions.KMS_SERVICE_ENCRYPT,
        conditions: Mapping[str, Mapping[str, Any]] | None = None,
    ) -> None:
        """Let an AWS service principal use the key, scoped by the given conditions (source account/ARN)."""
        self.policy.add(
            Statement(
                sid=sid,
                effect="Allow",
                principals={"Service": service},
                actions=key_actions,
                resources=["*"],
                conditions=conditions or {},
            )
        )
