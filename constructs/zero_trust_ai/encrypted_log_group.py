"""EncryptedLogGroup: a CloudWatch Logs group encrypted with a platform key and retained >= 1 year."""

from __future__ import annotations

from typing import ClassVar

from cdktf_cdktf_provider_aws.cloudwatch_log_group import CloudwatchLogGroup
from constructs import Construct
from pydantic import BaseModel, ConfigDict, Field

from zero_trust_ai.base import PlatformConstruct
from zero_trust_ai.platform_key import PlatformKey
from zero_trust_ai.validation import RetentionDays

MIN_RETENTION_DAYS = 365


class EncryptedLogGroupProps(BaseModel):
    """Props of :class:`EncryptedLogGroup`."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    name: str = Field(pattern=r"^[A-Za-z0-9_/.#-]+$", max_length=512)
    region: str
    account_id: str = Field(pattern=r"^\d{12}$")
    retention_in_days: RetentionDays = Field(description="A retention CloudWatch accepts, at least one year "
                                         "(365, 400, 545, 731, ...).")


class EncryptedLogGroup(PlatformConstruct):
    """Creates the group and lets CloudWatch Logs use ``key`` for exactly this group (encryption context)."""

    implements: ClassVar[tuple[str, ...]] = ('ZT-LOG-1',)

    def __init__(self, scope: Construct, id: str, *, props: EncryptedLogGroupProps, key: PlatformKey) -> None:
        super().__init__(scope, id)
        arn = f"arn:aws:logs:{props.region}:{props.account_id}:log-group:{props.name}"
        sid = "".join(ch for ch in f"Logs{props.name.title()}" if ch.isalnum())[:100]
        key.grant_service(
            sid=sid,
            service=f"logs.{props.region}.amazonaws.com",
            conditions={"ArnEquals": {"kms:EncryptionContext:aws:logs:arn": arn}},
        )
        self.log_group = CloudwatchLogGroup(
            self, "log_group", name=props.name, kms_key_id=key.key_arn, retention_in_days=props.retention_in_days,
            depends_on=[key.key],
        )
        self.name = props.name
        self.arn = arn

    @property
    def log_group_name(self) -> str:
        return self.log_group.name
