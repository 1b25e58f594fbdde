"""ManifestSigningKey: an asymmetric KMS key that signs dataset and model manifests."""

from __future__ import annotations

from typing import ClassVar

from cdktf_cdktf_provider_aws.kms_alias import KmsAlias
from cdktf_cdktf_provider_aws.kms_key import KmsKey
from constructs import Construct
from pydantic import BaseModel, ConfigDict, Field

from zero_trust_ai import actions
from zero_trust_ai.base import PlatformConstruct
from zero_trust_ai.policy import Grantee, PolicyDocument, Statement, account_root_admin

SIGNING_ALGORITHM = "ECDSA_SHA_256"


class ManifestSigningKeyProps(BaseModel):
    """Props of :class:`ManifestSigningKey`."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    alias: str = Field(pattern=r"^alias/[a-zA-Z0-9/_-]+$")
    account_id: str = Field(pattern=r"^\d{12}$")
    key_spec: str = Field(
        default="ECC_NIST_P256",
        pattern=r"^(ECC_NIST_P256|ECC_NIST_P384|RSA_3072|RSA_4096)$",
        description="Asymmetric key spec. Default: ECC_NIST_P256 with ECDSA_SHA_256 signatures.",
    )
    deletion_window_in_days: int = Field(default=30, ge=7, le=30)
    sid_label: str = Field(default="Manifests", pattern=r"^[A-Za-z]+$",
                           description="Names this key's grants in statement ids (one label per key).")
    description: str = Field(default="Signs dataset and model manifests (SHA-256 digests of every artifact)",
                             min_length=8)


class ManifestSigningKey(PlatformConstruct):
    """``SIGN_VERIFY`` key. Producers get ``kms:Sign``; consumers get ``kms:Verify`` / the public key.

    AWS does not rotate asymmetric keys (rotation applies to symmetric keys only); rotate by creating a
    new key and re-pointing the alias, which keeps old signatures verifiable.
    """

    implements: ClassVar[tuple[str, ...]] = ('ZT-DATA-3',)

    def __init__(self, scope: Construct, id: str, *, props: ManifestSigningKeyProps) -> None:
        super().__init__(scope, id)
        self.props = props
        self.policy = PolicyDocument([account_root_admin(props.account_id)])
        self.key = KmsKey(
            self,
            "key",
            description=props.description,
            key_usage="SIGN_VERIFY",
            customer_master_key_spec=props.key_spec,
            deletion_window_in_days=props.deletion_window_in_days,
            policy=self.policy.lazy_json(),
        )
        self.alias = KmsAlias(self, "alias", name=props.alias, target_key_id=self.key.key_id)

    @property
    def key_arn(self) -> str:
        return self.key.arn

    def grant_sign(self, grantee: Grantee) -> None:
        self._grant(grantee, "Sign", actions.KMS_SIGN)

    def grant_verify(self, grantee: Grantee) -> None:
        self._grant(grantee, "Verify", actions.KMS_VERIFY)

    def _grant(self, grantee: Grantee, what: str, key_actions: tuple[str, ...]) -> None:
        sid = f"{grantee.grant_name}{what}{self.props.sid_label}"
        grantee.add_to_policy(Statement(sid=sid, effect="Allow", actions=key_actions, resources=[self.key_arn]))
        self.policy.add(
            Statement(sid=sid, effect="Allow", principals={"AWS": grantee.role_arn}, actions=key_actions)
        )
