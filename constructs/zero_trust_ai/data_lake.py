"""DataLake: the platform's data buckets, one per domain, each under its own key."""

from __future__ import annotations

from typing import ClassVar

from constructs import Construct
from pydantic import BaseModel, ConfigDict, Field

from zero_trust_ai.base import PlatformConstruct
from zero_trust_ai.platform_keys import PlatformKeys
from zero_trust_ai.secure_bucket import LifecycleRule, ObjectLock, SecureBucket, SecureBucketProps

# bucket construct id -> (key domain, object prefix convention). Ids are a contract; append only.
DATA_BUCKETS: dict[str, tuple[str, str]] = {
    "raw": ("raw", "raw/"),
    "features": ("features", "features/"),
    "training": ("training", "training/"),
    "validation": ("validation", "validation/"),
    "models": ("models", "models/"),
}


class DataLakeProps(BaseModel):
    """Props of :class:`DataLake`."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    name_prefix: str = Field(pattern=r"^[a-z0-9-]{3,40}$")
    account_id: str = Field(pattern=r"^\d{12}$")
    model_registry_lock_days: int = Field(
        default=365, ge=1, le=36500, description="Object Lock retention of model artifacts. Default: one year."
    )
    model_registry_lock_mode: str = Field(default="GOVERNANCE", pattern=r"^(GOVERNANCE|COMPLIANCE)$")
    raw_transition_to_glacier_ir_days: int = Field(default=180, ge=1, description="Default: 180 days.")
    force_destroy: bool = Field(default=False, description="Only for the emulator environment.")
    eventbridge_notifications: bool = Field(
        default=True, description="Object events to EventBridge (detection/lineage). Default: on."
    )


class DataLake(PlatformConstruct):
    """Buckets for raw data, features, training data, validation data and the model registry.

    Each bucket is a :class:`SecureBucket` encrypted with its own domain key, logged to the access-log
    sink; the model registry additionally has Object Lock so a registered model cannot be overwritten
    or deleted during retention. Grant access with the bucket's ``grant_*`` / ``deny`` methods.
    """

    implements: ClassVar[tuple[str, ...]] = ('ZT-DATA-1', 'ZT-DATA-3', 'ZT-DATA-5')

    def __init__(
        self,
        scope: Construct,
        id: str,
        *,
        props: DataLakeProps,
        keys: PlatformKeys,
        access_log_bucket: SecureBucket,
    ) -> None:
        super().__init__(scope, id)
        self.prefixes = {name: prefix for name, (_, prefix) in DATA_BUCKETS.items()}
        self.buckets: dict[str, SecureBucket] = {}
        for name, (domain, _prefix) in DATA_BUCKETS.items():
            lifecycle: tuple[LifecycleRule, ...] = (
                LifecycleRule(id="expire-noncurrent", noncurrent_version_expiration_days=365),
            )
            if name == "raw":
                lifecycle = (
                    LifecycleRule(id="raw-to-glacier-ir",
                                  transition_to_glacier_ir_days=props.raw_transition_to_glacier_ir_days,
                                  noncurrent_version_expiration_days=365),
                )
            self.buckets[name] = SecureBucket(
                self,
                name,
                props=SecureBucketProps(
                    bucket_name=f"{props.name_prefix}-{name}-{props.account_id}",
                    owner_account_id=props.account_id,
                    eventbridge_notifications=props.eventbridge_notifications,
                    encryption_key=keys[domain],
                    access_log_bucket=access_log_bucket,
                    object_lock=ObjectLock(mode=props.model_registry_lock_mode,  # type: ignore[arg-type]
                                           days=props.model_registry_lock_days) if name == "models" else None,
                    lifecycle_rules=lifecycle,
                    force_destroy=props.force_destroy,
                ),
            )

        # A registered model is never replaced by a PUT to its key (Object Lock alone keeps only the old version).
        self.models.require_conditional_writes(prefix="")

    @property
    def raw(self) -> SecureBucket:
        return self.buckets["raw"]

    @property
    def features(self) -> SecureBucket:
        return self.buckets["features"]

    @property
    def training(self) -> SecureBucket:
        return self.buckets["training"]

    @property
    def validation(self) -> SecureBucket:
        return self.buckets["validation"]

    @property
    def models(self) -> SecureBucket:
        return self.buckets["models"]

    def all(self) -> list[SecureBucket]:
        return list(self.buckets.values())
