"""LogArchive: the central, write-once log destinations."""

from __future__ import annotations

from typing import ClassVar

from constructs import Construct
from pydantic import BaseModel, ConfigDict, Field, model_validator

from zero_trust_ai import actions
from zero_trust_ai.base import PlatformConstruct
from zero_trust_ai.platform_key import PlatformKey
from zero_trust_ai.policy import Statement
from zero_trust_ai.secure_bucket import LifecycleRule, ObjectLock, SecureBucket, SecureBucketProps
from zero_trust_ai.validation import OptOutReason

# Regions launched before August 2022 deliver ALB access logs from a regional ELB account; newer regions
# use the log-delivery service principal (AWS "Enable access logs for your Application Load Balancer").
ELB_LOG_DELIVERY_ACCOUNTS = {
    "us-east-1": "127311923021", "us-east-2": "033677994240", "us-west-1": "027434742980",
    "us-west-2": "797873946194", "ca-central-1": "985666609251", "eu-central-1": "054676820928",
    "eu-west-1": "156460612806", "eu-west-2": "652711504416", "eu-west-3": "009996457667",
    "eu-north-1": "897822967062", "eu-south-1": "635631232127", "ap-northeast-1": "582318560864",
    "ap-northeast-2": "600734575887", "ap-northeast-3": "383597477331", "ap-southeast-1": "114774131450",
    "ap-southeast-2": "783225319266", "ap-south-1": "718504428378", "sa-east-1": "507241528517",
}


class LogArchiveProps(BaseModel):
    """Props of :class:`LogArchive`."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    name_prefix: str = Field(pattern=r"^[a-z0-9-]{3,40}$")
    account_id: str = Field(pattern=r"^\d{12}$", description="The account that owns the archive (its buckets and key).")
    delivering_account_id: str | None = Field(
        default=None, pattern=r"^\d{12}$",
        description="The account whose trail, VPC flow logs and load balancer deliver here, when it is not the owner "
        "(an organization's log-archive account receiving a workload account's evidence): every delivery grant is "
        "scoped to it, it may describe the key (to name it in its trail), and the bucket and key policies deny its "
        "principals every delete and every change of policy, lifecycle, retention and versioning. Default: the owner "
        "itself (the single-account layout).")
    region: str
    object_lock_days: int = Field(ge=1, le=36500, description="Object Lock retention of every log object.")
    object_lock_mode: str = Field(
        default="COMPLIANCE", pattern=r"^(GOVERNANCE|COMPLIANCE)$",
        description="COMPLIANCE (default): nobody, not even a principal with s3:BypassGovernanceRetention, can "
        "erase evidence during retention. GOVERNANCE only with ``governance_lock_reason``.")
    governance_lock_reason: OptOutReason | None = Field(default=None, description="Why GOVERNANCE mode (erasable "
                                                        "by s3:BypassGovernanceRetention). Default: none.")
    transition_to_glacier_ir_days: int = Field(default=90, ge=1, description="Default: colder storage after 90 days.")
    force_destroy: bool = Field(default=False, description="Only for the emulator environment.")
    eventbridge_notifications: bool = Field(default=True, description="Object events to EventBridge. Default: on.")
    accepts_flow_logs: bool = Field(
        default=True, description="Admit the delivering account's VPC flow logs (delivery.logs.amazonaws.com on the "
        "archive and the key). Off where they are delivered elsewhere -- a workload account whose evidence goes to "
        "the organization's log-archive account -- so no unused delivery grant stays. Default: on.")

    @model_validator(mode="after")
    def _governance_needs_a_reason(self) -> LogArchiveProps:
        if self.object_lock_mode == "GOVERNANCE" and not self.governance_lock_reason:
            raise ValueError("object_lock_mode GOVERNANCE lets s3:BypassGovernanceRetention erase evidence; "
                             "give governance_lock_reason or keep COMPLIANCE")
        return self

    @property
    def delivering_account(self) -> str:
        """The account the delivery grants are scoped to (``delivering_account_id``, else the owner)."""
        return self.delivering_account_id or self.account_id

    @property
    def delivers_across_accounts(self) -> bool:
        return self.delivering_account != self.account_id


class LogArchive(PlatformConstruct):
    """Two Object-Lock buckets:

    * ``archive`` -- SSE-KMS with the logs key; receives CloudTrail and VPC flow logs.
    * ``access_logs`` -- receives S3 server access logs and load-balancer access logs. AWS delivers those
      two only to buckets whose default encryption is SSE-S3 (SSE-KMS is not supported by either
      delivery), so this bucket is the one documented SSE-S3 exception; it is still private,
      versioned and TLS-only, but not Object-Locked (S3 refuses to deliver access logs to a bucket with
      a default retention period).
    """

    implements: ClassVar[tuple[str, ...]] = ('ZT-NET-2', 'ZT-DATA-1')

    def __init__(self, scope: Construct, id: str, *, props: LogArchiveProps, logs_key: PlatformKey) -> None:
        super().__init__(scope, id)
        self.props = props
        self.logs_key = logs_key
        lock = ObjectLock(mode=props.object_lock_mode, days=props.object_lock_days)  # type: ignore[arg-type]
        lifecycle = (
            LifecycleRule(id="to-glacier-ir", transition_to_glacier_ir_days=props.transition_to_glacier_ir_days,
                          noncurrent_version_expiration_days=max(props.object_lock_days, 365)),
        )
        self.access_logs = SecureBucket(
            self,
            "access_logs",
            props=SecureBucketProps(
                bucket_name=f"{props.name_prefix}-access-logs-{props.account_id}",
                owner_account_id=props.account_id,
                encryption_key=None,
                sse_s3_reason="S3 server access logging and ALB access logs can only be delivered to SSE-S3 buckets",
                access_log_bucket=None,
                access_log_opt_out_reason="this is the access-log sink; logging it into itself would loop",
                principal_perimeter_opt_out_reason="ALB access logs in regions from before 2022 are written by the "
                "regional Elastic Load Balancing account, which is neither a granted role nor an AWS service "
                "principal; the sink holds logs, its own statements limit each writer to its prefix, and readers "
                "are granted (the security auditor)",
                # No Object Lock: S3 does not deliver server access logs to a bucket with a default
                # retention period. Versioning keeps every overwritten or deleted log version.
                lifecycle_rules=lifecycle,
                force_destroy=props.force_destroy,
                eventbridge_notifications=props.eventbridge_notifications,
            ),
        )
        self.archive = SecureBucket(
            self,
            "archive",
            props=SecureBucketProps(
                bucket_name=f"{props.name_prefix}-log-archive-{props.account_id}",
                owner_account_id=props.account_id,
                encryption_key=logs_key,
                access_log_bucket=self.access_logs,
                object_lock=lock,
                lifecycle_rules=lifecycle,
                force_destroy=props.force_destroy,
                eventbridge_notifications=props.eventbridge_notifications,
            ),
        )
        if props.accepts_flow_logs:
            self._accept_flow_logs()
        if props.delivers_across_accounts:
            self._fence_the_delivering_account()

    def _accept_flow_logs(self) -> None:
        """VPC flow logs (log delivery service), scoped to the delivering account's log-delivery sources."""
        props, logs_key = self.props, self.logs_key
        account = props.delivering_account
        self.archive.allow_service_delivery(
            sid="VpcFlowLogsDelivery", service="delivery.logs.amazonaws.com",
            prefix=f"AWSLogs/{account}/vpcflowlogs/", source_account=account,
            source_arn=f"arn:aws:logs:{props.region}:{account}:*",
            extra_bucket_actions=actions.LOG_DELIVERY_BUCKET_CHECK,
        )
        logs_key.grant_service(
            sid="VpcFlowLogsEncrypt", service="delivery.logs.amazonaws.com",
            key_actions=actions.KMS_LOG_DELIVERY,
            conditions={"StringEquals": {"aws:SourceAccount": account},
                        "ArnLike": {"aws:SourceArn": f"arn:aws:logs:{props.region}:{account}:*"}},
        )

    def _fence_the_delivering_account(self) -> None:
        """The delivering account writes here through AWS services only. Cross-account access already needs an
        Allow in the resource policy, which these policies never give its principals
        (https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_evaluation-logic-cross-account.html);
        the explicit Denies keep it so whatever statement is added later. ``aws:PrincipalAccount`` is the account of
        the calling principal (https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_condition-keys.html
        #condition-keys-principalaccount); the services deliver with their own service principal and call none of
        these actions."""
        account = self.props.delivering_account
        for bucket in (self.archive, self.access_logs):
            bucket.add_to_resource_policy(Statement(
                sid="DenyDeliveringAccountTampering", effect="Deny", principals={"AWS": "*"},
                actions=actions.ARCHIVE_TAMPERING, resources=[bucket.bucket_arn, bucket.arn_for_objects()],
                conditions={"StringEquals": {"aws:PrincipalAccount": account}}))
        self.logs_key.deny_account(sid="DenyDeliveringAccountKeyTampering", account_id=account,
                                   key_actions=actions.KMS_KEY_TAMPERING)
        # The workload names the key in its trail by the alias ARN and reads the key ARN with DescribeKey. A key
        # policy grant to another account's root delegates to that account's IAM policies, which must allow it
        # too; cross-account use works only for the operations KMS lists there (DescribeKey is one,
        # ScheduleKeyDeletion and PutKeyPolicy are not)
        # https://docs.aws.amazon.com/kms/latest/developerguide/key-policy-modifying-external-accounts.html
        self.logs_key.grant_aws_principal(sid="DeliveringAccountDescribesKey",
                                          principal_arn=f"arn:aws:iam::{account}:root",
                                          key_actions=("kms:DescribeKey",))

    def accept_trail(self, *, trail_name: str) -> str:
        """Let CloudTrail deliver the delivering account's trail ``trail_name`` (only) into the archive, under
        ``AWSLogs/<account>/``, encrypted with the logs key; returns the trail's ARN. The statements are the ones
        CloudTrail documents, each scoped to the trail by ``aws:SourceArn`` and to its account by
        ``aws:SourceAccount`` (https://docs.aws.amazon.com/awscloudtrail/latest/userguide/create-s3-bucket-policy-for-
        cloudtrail.html, https://docs.aws.amazon.com/awscloudtrail/latest/userguide/create-kms-key-policy-for-
        cloudtrail.html); the key's encryption context names the trail
        (``kms:EncryptionContext:aws:cloudtrail:arn``)."""
        account, archive = self.props.delivering_account, self.archive
        trail_arn = f"arn:aws:cloudtrail:{self.props.region}:{account}:trail/{trail_name}"
        source = {"StringEquals": {"aws:SourceAccount": account}, "ArnEquals": {"aws:SourceArn": trail_arn}}
        archive.add_to_resource_policy(Statement(
            sid="CloudTrailAclCheck", effect="Allow", principals={"Service": "cloudtrail.amazonaws.com"},
            actions=["s3:GetBucketAcl"], resources=[archive.bucket_arn], conditions=source))
        archive.add_to_resource_policy(Statement(
            sid="CloudTrailWrite", effect="Allow", principals={"Service": "cloudtrail.amazonaws.com"},
            actions=["s3:PutObject"], resources=[archive.arn_for_objects(f"AWSLogs/{account}/")],
            conditions={**source, "StringEquals": {"aws:SourceAccount": account,
                                                   "s3:x-amz-acl": "bucket-owner-full-control"}}))
        self.logs_key.grant_service(
            sid="CloudTrailEncryptLogs", service="cloudtrail.amazonaws.com",
            key_actions=("kms:GenerateDataKey",),
            conditions={"StringEquals": {"aws:SourceAccount": account},
                        "StringLike": {"kms:EncryptionContext:aws:cloudtrail:arn":
                                       f"arn:aws:cloudtrail:*:{account}:trail/{trail_name}"},
                        "ArnEquals": {"aws:SourceArn": trail_arn}})
        self.logs_key.grant_service(sid="CloudTrailDescribeKey", service="cloudtrail.amazonaws.com",
                                    key_actions=("kms:DescribeKey",), conditions=source)
        return trail_arn

    def accept_load_balancer_logs(self, *, prefix: str) -> None:
        """Let Elastic Load Balancing deliver access logs of the delivering account under
        ``<prefix>/AWSLogs/<account>/`` of the (SSE-S3) access-log bucket -- the only encryption ALB log delivery
        supports."""
        account, region = self.props.delivering_account, self.props.region
        resource = self.access_logs.arn_for_objects(f"{prefix}/AWSLogs/{account}/")
        label = "".join(ch for ch in prefix.title() if ch.isalnum())
        legacy_account = ELB_LOG_DELIVERY_ACCOUNTS.get(region)
        if legacy_account:
            self.access_logs.add_to_resource_policy(Statement(
                sid=f"LoadBalancerLogs{label}", effect="Allow",
                principals={"AWS": f"arn:aws:iam::{legacy_account}:root"}, actions=["s3:PutObject"],
                resources=[resource]))
        else:
            self.access_logs.allow_service_delivery(
                sid=f"LoadBalancerLogs{label}", service="logdelivery.elasticloadbalancing.amazonaws.com",
                prefix=f"{prefix}/AWSLogs/{account}/", source_account=account,
                source_arn=f"arn:aws:elasticloadbalancing:{region}:{account}:loadbalancer/*")
