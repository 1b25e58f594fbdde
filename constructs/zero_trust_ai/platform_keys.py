"""PlatformKeys: one customer-managed key per data domain plus the manifest-signing key."""

from __future__ import annotations

from typing import ClassVar

from constructs import Construct
from pydantic import BaseModel, ConfigDict, Field

from zero_trust_ai.base import PlatformConstruct
from zero_trust_ai.platform_key import PlatformKey, PlatformKeyProps
from zero_trust_ai.signing_key import ManifestSigningKey, ManifestSigningKeyProps

# Construct ids are a contract (changing one replaces the key): keep this tuple append-only.
DATA_DOMAINS: tuple[str, ...] = ("raw", "features", "training", "validation", "models", "logs")

_DESCRIPTIONS = {
    "raw": "Raw ingested data",
    "features": "Engineered feature sets",
    "training": "Training datasets",
    "validation": "Held-out validation datasets (never readable by training)",
    "models": "Model registry artifacts and manifests",
    "logs": "Central log archive, CloudTrail, CloudWatch Logs and alert topic",
}


class PlatformKeysProps(BaseModel):
    """Props of :class:`PlatformKeys`."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    name_prefix: str = Field(pattern=r"^[a-z0-9-]{3,40}$", description="Alias prefix, e.g. ``ztai-prod``.")
    account_id: str = Field(pattern=r"^\d{12}$")


class PlatformKeys(PlatformConstruct):
    """Separate keys per domain limit the blast radius of any one grant: decrypting features never
    implies decrypting raw or validation data."""

    implements: ClassVar[tuple[str, ...]] = ('ZT-KMS-1',)

    def __init__(self, scope: Construct, id: str, *, props: PlatformKeysProps) -> None:
        super().__init__(scope, id)
        self.by_domain: dict[str, PlatformKey] = {
            domain: PlatformKey(
                self,
                domain,
                props=PlatformKeyProps(
                    alias=f"alias/{props.name_prefix}-{domain}",
                    description=f"{_DESCRIPTIONS[domain]} ({props.name_prefix})",
                    account_id=props.account_id,
                ),
            )
            for domain in DATA_DOMAINS
        }
        self.signing = ManifestSigningKey(
            self,
            "manifest_signing",
            props=ManifestSigningKeyProps(alias=f"alias/{props.name_prefix}-manifest-signing",
                                          account_id=props.account_id),
        )
        # Releasing a model (the signature serving trusts) is a different duty, and key, from producing it: a
        # compromised trainer can sign training manifests but never make its own model servable.
        self.release_signing = ManifestSigningKey(
            self,
            "release_signing",
            props=ManifestSigningKeyProps(alias=f"alias/{props.name_prefix}-release-signing",
                                          account_id=props.account_id, sid_label="Releases",
                                          description="Signs released model manifests (what serving loads)"),
        )

    def __getitem__(self, domain: str) -> PlatformKey:
        return self.by_domain[domain]

    @property
    def raw(self) -> PlatformKey:
        return self.by_domain["raw"]

    @property
    def features(self) -> PlatformKey:
        return self.by_domain["features"]

    @property
    def training(self) -> PlatformKey:
        return self.by_domain["training"]

    @property
    def validation(self) -> PlatformKey:
        return self.by_domain["validation"]

    @property
    def models(self) -> PlatformKey:
        return self.by_domain["models"]

    @property
    def logs(self) -> PlatformKey:
        return self.by_domain["logs"]
