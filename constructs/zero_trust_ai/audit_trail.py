"""AuditTrail: a multi-region CloudTrail into the log archive and a CloudWatch Logs group."""

from __future__ import annotations

from collections.abc import Sequence
from typing import ClassVar

from cdktf_cdktf_provider_aws.cloudtrail import (
    Cloudtrail,
    CloudtrailAdvancedEventSelector,
    CloudtrailAdvancedEventSelectorFieldSelector,
)
from constructs import Construct
from pydantic import BaseModel, ConfigDict, Field

from zero_trust_ai import actions
from zero_trust_ai.base import PlatformConstruct
from zero_trust_ai.encrypted_log_group import EncryptedLogGroup, EncryptedLogGroupProps
from zero_trust_ai.evidence_destinations import EvidenceDestinations
from zero_trust_ai.platform_key import PlatformKey
from zero_trust_ai.policy import Statement
from zero_trust_ai.secure_bucket import SecureBucket
from zero_trust_ai.validation import OptOutReason, RetentionDays
from zero_trust_ai.workload_role import WorkloadRole, WorkloadRoleProps


class AuditTrailProps(BaseModel):
    """Props of :class:`AuditTrail`."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    trail_name: str = Field(pattern=r"^[A-Za-z0-9._-]{3,128}$")
    account_id: str = Field(pattern=r"^\d{12}$")
    region: str
    log_retention_days: RetentionDays = Field(description="A retention CloudWatch accepts (>= 365 days).")
    start_logging_opt_out_reason: OptOutReason | None = Field(
        default=None,
        description="Why the trail is created but not started (emulator gap only). Default: logging on.",
    )


class AuditTrail(PlatformConstruct):
    """Management events (read and write) of every region plus S3 data events of ``data_buckets``.

    Log files and digest files (for validation) go where ``destination`` admits the trail, under ``AWSLogs/``:
    this account's log archive, SSE-KMS with the logs key (bucket-policy and key-policy statements scoped to this
    trail's ARN), or the organization's log-archive account, SSE-KMS with that archive's key
    (:mod:`zero_trust_ai.evidence_destinations`). Events also stream to an encrypted CloudWatch Logs group of this
    account through a delivery role, where metric filters raise alarms -- in both layouts.
    """

    implements: ClassVar[tuple[str, ...]] = ('ZT-LOG-1',)

    def __init__(self, scope: Construct, id: str, *, props: AuditTrailProps, destination: EvidenceDestinations,
                 logs_key: PlatformKey, data_buckets: Sequence[SecureBucket]) -> None:
        super().__init__(scope, id)
        region, account = props.region, props.account_id
        self.trail_arn = f"arn:aws:cloudtrail:{region}:{account}:trail/{props.trail_name}"
        delivery = destination.admit_trail(trail_name=props.trail_name, trail_arn=self.trail_arn, account_id=account)

        self.log_group = EncryptedLogGroup(
            self, "log_group",
            props=EncryptedLogGroupProps(name=f"/ztai/cloudtrail/{props.trail_name}", region=region,
                                         account_id=account, retention_in_days=props.log_retention_days),
            key=logs_key,
        )
        self.delivery_role = WorkloadRole(
            self, "delivery_role",
            props=WorkloadRoleProps(
                role_name=f"{props.trail_name}-to-cloudwatch", grant_name="TrailDelivery",
                service="cloudtrail.amazonaws.com", account_id=account, source_arn_pattern=self.trail_arn,
                description="CloudTrail delivers this trail's events to its CloudWatch Logs group",
            ),
        )
        self.delivery_role.add_to_policy(Statement(
            sid="WriteTrailEvents", effect="Allow", actions=actions.LOGS_WRITE,
            resources=[f"{self.log_group.arn}:log-stream:*"]))

        selectors = [
            CloudtrailAdvancedEventSelector(name="Management events (read and write)", field_selector=[
                CloudtrailAdvancedEventSelectorFieldSelector(field="eventCategory", equal_to=["Management"])]),
        ]
        if data_buckets:
            selectors.append(CloudtrailAdvancedEventSelector(
                name="S3 data events of the data lake", field_selector=[
                    CloudtrailAdvancedEventSelectorFieldSelector(field="eventCategory", equal_to=["Data"]),
                    CloudtrailAdvancedEventSelectorFieldSelector(field="resources.type", equal_to=["AWS::S3::Object"]),
                    CloudtrailAdvancedEventSelectorFieldSelector(
                        field="resources.ARN", starts_with=[f"{bucket.bucket_arn}/" for bucket in data_buckets]),
                ]))
        self.trail = Cloudtrail(
            self, "trail",
            name=props.trail_name,
            s3_bucket_name=delivery.bucket_name,
            include_global_service_events=True,
            is_multi_region_trail=True,
            enable_log_file_validation=True,
            enable_logging=props.start_logging_opt_out_reason is None,
            kms_key_id=delivery.kms_key_arn,
            cloud_watch_logs_group_arn=f"{self.log_group.log_group.arn}:*",
            cloud_watch_logs_role_arn=self.delivery_role.role_arn,
            advanced_event_selector=selectors,
            depends_on=list(delivery.depends_on) or None,
        )

    @property
    def log_group_name(self) -> str:
        return self.log_group.name
