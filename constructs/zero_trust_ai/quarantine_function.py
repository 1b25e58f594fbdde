"""QuarantineFunction: isolates a compromised role automatically and releases it after a window."""

from __future__ import annotations

import base64
import json
from collections.abc import Sequence
from pathlib import Path
from typing import ClassVar

from cdktf import AssetType, TerraformAsset, TerraformResourceLifecycle
from cdktf_cdktf_provider_aws.cloudwatch_event_rule import CloudwatchEventRule
from cdktf_cdktf_provider_aws.cloudwatch_event_target import (
    CloudwatchEventTarget,
    CloudwatchEventTargetDeadLetterConfig,
    CloudwatchEventTargetRetryPolicy,
)
from cdktf_cdktf_provider_aws.cloudwatch_metric_alarm import CloudwatchMetricAlarm
from cdktf_cdktf_provider_aws.lambda_code_signing_config import (
    LambdaCodeSigningConfig,
    LambdaCodeSigningConfigAllowedPublishers,
    LambdaCodeSigningConfigPolicies,
)
from cdktf_cdktf_provider_aws.lambda_function import (
    LambdaFunction,
    LambdaFunctionDeadLetterConfig,
    LambdaFunctionEnvironment,
    LambdaFunctionTracingConfig,
)
from cdktf_cdktf_provider_aws.lambda_permission import LambdaPermission
from cdktf_cdktf_provider_aws.s3_object import S3Object
from cdktf_cdktf_provider_aws.scheduler_schedule_group import SchedulerScheduleGroup
from cdktf_cdktf_provider_aws.signer_signing_job import (
    SignerSigningJob,
    SignerSigningJobDestination,
    SignerSigningJobDestinationS3,
    SignerSigningJobSource,
    SignerSigningJobSourceS3,
)
from cdktf_cdktf_provider_aws.signer_signing_profile import SignerSigningProfile
from cdktf_cdktf_provider_aws.sqs_queue import SqsQueue
from cdktf_cdktf_provider_aws.sqs_queue_policy import SqsQueuePolicy
from constructs import Construct
from pydantic import BaseModel, ConfigDict, Field

from zero_trust_ai import actions
from zero_trust_ai.alert_topic import AlertTopic
from zero_trust_ai.base import PlatformConstruct
from zero_trust_ai.encrypted_log_group import EncryptedLogGroup, EncryptedLogGroupProps
from zero_trust_ai.platform_key import PlatformKey
from zero_trust_ai.policy import PolicyDocument, Statement
from zero_trust_ai.secure_bucket import SecureBucket
from zero_trust_ai.workload_role import LAMBDA_EXECUTION_ROLE_REASON, WorkloadRole, WorkloadRoleProps

HANDLER = "handler.handle"
RUNTIME = "python3.12"


class FunctionCode(BaseModel):
    """A built deployment package (see ``blueprint.packaging``)."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    path: Path
    sha256_hex: str = Field(pattern=r"^[0-9a-f]{64}$")


class QuarantineFunctionProps(BaseModel):
    """Props of :class:`QuarantineFunction`."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    name_prefix: str = Field(pattern=r"^[a-z0-9-]{3,40}$")
    account_id: str = Field(pattern=r"^\d{12}$")
    region: str
    window_minutes: int = Field(ge=5, le=10080, description="How long a role stays quarantined.")
    guardduty_min_severity: float = Field(ge=1.0, le=8.9)
    log_retention_days: int = Field(ge=365)
    reserved_concurrency: int = Field(default=2, ge=1, le=10, description="Default: 2 concurrent runs at most.")
    lookback_minutes: int = Field(default=15, ge=5, le=60, description="Trail search window for alarm events.")
    ignore_dead_letter_config_drift_reason: str | None = Field(
        default=None, min_length=20, description="Emulator gap only (see blueprint/emulator_gaps.py).")
    code_signing_opt_out_reason: str | None = Field(
        default=None, min_length=20,
        description="Why the package is deployed without a signing job and code-signing config (emulator gap "
        "only). Default: signed by AWS Signer and enforced by a code-signing config.",
    )


class QuarantineFunction(PlatformConstruct):
    """An EventBridge rule on GuardDuty findings (severity >= the configured minimum) and one on the
    quarantining alarms invoke a Python function that attaches a deny-all inline policy to the offending
    role (plus an ``aws:TokenIssueTime`` deny that keeps its earlier sessions revoked), tags and logs what
    it did, and schedules the release with EventBridge Scheduler.

    Hardening: least-privilege role limited to this platform's roles with explicit denies on the protected
    ones (break-glass, auditor, itself); DLQ (SQS, KMS) for failed asynchronous events; reserved
    concurrency; KMS-encrypted environment; X-Ray tracing; the package is signed by an AWS Signer profile
    and the code-signing config refuses anything else.
    """

    implements: ClassVar[tuple[str, ...]] = ('ZT-LOG-2',)

    def __init__(self, scope: Construct, id: str, *, props: QuarantineFunctionProps, code: FunctionCode,
                 key: PlatformKey, artifacts: SecureBucket, alert_topic: AlertTopic, trail_log_group_name: str,
                 alarm_names: Sequence[str], protected_role_arns: Sequence[str]) -> None:
        super().__init__(scope, id)
        prefix, region, account = props.name_prefix, props.region, props.account_id
        self.function_name = f"{prefix}-quarantine"
        self.function_arn = f"arn:aws:lambda:{region}:{account}:function:{self.function_name}"

        self.dead_letter_queue = SqsQueue(self, "dead_letter_queue", name=f"{prefix}-quarantine-dlq",
                                          kms_master_key_id=key.key_arn, kms_data_key_reuse_period_seconds=300,
                                          message_retention_seconds=1_209_600)
        self.log_group = EncryptedLogGroup(
            self, "log_group",
            props=EncryptedLogGroupProps(name=f"/aws/lambda/{self.function_name}", region=region, account_id=account,
                                         retention_in_days=props.log_retention_days),
            key=key,
        )
        self.role = WorkloadRole(
            self, "role",
            props=WorkloadRoleProps(role_name=f"{prefix}-quarantine-function", grant_name="Quarantine",
                                    service="lambda.amazonaws.com", account_id=account,
                                    source_arn_opt_out_reason=LAMBDA_EXECUTION_ROLE_REASON,
                                    description="The automated-quarantine function of this platform"),
        )
        self.schedule_group = SchedulerScheduleGroup(self, "schedule_group", name=f"{prefix}-quarantine")
        self.scheduler_role = WorkloadRole(
            self, "scheduler_role",
            props=WorkloadRoleProps(role_name=f"{prefix}-quarantine-release", grant_name="QuarantineRelease",
                                    service="scheduler.amazonaws.com", account_id=account,
                                    source_arn_pattern=f"arn:aws:scheduler:{region}:{account}:schedule-group/"
                                    f"{prefix}-quarantine",
                                    description="EventBridge Scheduler invokes the quarantine release"),
        )
        self.scheduler_role.add_to_policy(Statement(sid="InvokeRelease", effect="Allow",
                                                    actions=["lambda:InvokeFunction"], resources=[self.function_arn]))
        # Never itself, nor the role that releases (a quarantined releaser could free no one).
        self.protected_role_arns = [*protected_role_arns, self.role.role_arn, self.scheduler_role.role_arn]
        self._grant_function_permissions(prefix, region, account, key, trail_log_group_name)

        package = self._package(props, code, artifacts, key)
        env = {
            "QUARANTINE_WINDOW_MINUTES": str(props.window_minutes),
            "MANAGED_ROLE_PREFIX": f"{prefix}-",
            "PROTECTED_ROLE_ARNS": ",".join(self.protected_role_arns),
            "SCHEDULE_GROUP": f"{prefix}-quarantine",
            "SCHEDULER_ROLE_ARN": self.scheduler_role.role_arn,
            "TRAIL_LOG_GROUP": trail_log_group_name,
            # The function looks each alarm's metric filter up in CloudWatch Logs (no patterns in the
            # environment: Lambda caps it at 4 KB).
            "QUARANTINE_ALARMS": ",".join(sorted(alarm_names)),
            "LOOKBACK_MINUTES": str(props.lookback_minutes),
        }
        self.function = LambdaFunction(
            self, "function",
            function_name=self.function_name,
            description="Quarantines a compromised platform role (deny-all + session revocation), then releases it",
            role=self.role.role_arn,
            runtime=RUNTIME,
            handler=HANDLER,
            timeout=60,
            memory_size=256,
            reserved_concurrent_executions=props.reserved_concurrency,
            kms_key_arn=key.key_arn,
            environment=LambdaFunctionEnvironment(variables=env),
            dead_letter_config=LambdaFunctionDeadLetterConfig(target_arn=self.dead_letter_queue.arn),
            tracing_config=LambdaFunctionTracingConfig(mode="Active"),
            code_signing_config_arn=package.get("code_signing_config_arn"),
            s3_bucket=package.get("s3_bucket"),
            s3_key=package.get("s3_key"),
            filename=package.get("filename"),
            source_code_hash=package.get("source_code_hash"),
            depends_on=[self.log_group.log_group, self.role.role],
            lifecycle=TerraformResourceLifecycle(ignore_changes=["dead_letter_config"])
            if props.ignore_dead_letter_config_drift_reason else None,
        )
        self._route_events(props, alert_topic, list(alarm_names))
        self._alarm_on_failures(props, alert_topic)

    # -- permissions ------------------------------------------------------------------------------
    def _grant_function_permissions(self, prefix: str, region: str, account: str, key: PlatformKey,
                                    trail_log_group_name: str) -> None:
        role = self.role
        role.add_to_policy(Statement(sid="QuarantinePlatformRoles", effect="Allow", actions=actions.QUARANTINE_IAM,
                                     resources=[f"arn:aws:iam::{account}:role/{prefix}-*"]))
        role.add_to_policy(Statement(sid="NeverTouchProtectedRoles", effect="Deny", actions=actions.QUARANTINE_IAM,
                                     resources=self.protected_role_arns))
        role.add_to_policy(Statement(sid="ScheduleRelease", effect="Allow", actions=actions.QUARANTINE_SCHEDULER,
                                     resources=[f"arn:aws:scheduler:{region}:{account}:schedule/{prefix}-quarantine/*"]))
        self.scheduler_role.grant_pass_role(role)
        role.add_to_policy(Statement(sid="FindOffendersInTrail", effect="Allow",
                                     actions=("logs:DescribeMetricFilters", "logs:FilterLogEvents"),
                                     resources=[f"arn:aws:logs:{region}:{account}:log-group:{trail_log_group_name}:*"]))
        role.add_to_policy(Statement(sid="WriteOwnLogs", effect="Allow", actions=actions.LOGS_WRITE,
                                     resources=[f"{self.log_group.arn}:log-stream:*"]))
        role.add_to_policy(Statement(sid="DeadLetters", effect="Allow", actions=["sqs:SendMessage"],
                                     resources=[self.dead_letter_queue.arn]))
        role.add_to_policy(Statement(sid="XRayTraces", effect="Allow", actions=actions.XRAY_WRITE, resources=["*"]))
        # the key only through Lambda (environment) and SQS (dead letters), never directly
        key.grant_decrypt(role, via_service=f"lambda.{region}.amazonaws.com")
        key.grant_encrypt_decrypt(role, via_service=f"sqs.{region}.amazonaws.com")
        queue_policy = PolicyDocument([
            Statement(sid="DenyWithoutTls", effect="Deny", principals={"AWS": "*"}, actions=["sqs:SendMessage"],
                      resources=[self.dead_letter_queue.arn], conditions={"Bool": {"aws:SecureTransport": "false"}}),
        ])
        self._queue_policy = queue_policy
        SqsQueuePolicy(self, "dead_letter_queue_policy", queue_url=self.dead_letter_queue.url,
                       policy=queue_policy.lazy_json())
        self._key = key

    # -- code -------------------------------------------------------------------------------------
    def _package(self, props: QuarantineFunctionProps, code: FunctionCode, artifacts: SecureBucket,
                 key: PlatformKey) -> dict[str, str]:
        asset = TerraformAsset(self, "code", path=str(code.path), type=AssetType.FILE)
        self.signing_profile = SignerSigningProfile(
            # canceled profile names stay reserved for two years: a prefix lets a replacement get a new name
            self, "signing_profile", name_prefix=f"{props.name_prefix.replace('-', '_')}_quarantine_",
            platform_id="AWSLambda-SHA384-ECDSA",
        )
        if props.code_signing_opt_out_reason is not None:
            # Emulator only: the package goes straight from the asset (moto cannot sign it, and refuses
            # uploads into policy-protected buckets -- see blueprint/emulator_gaps.py).
            return {"filename": asset.path,
                    "source_code_hash": base64.b64encode(bytes.fromhex(code.sha256_hex)).decode()}
        unsigned = S3Object(
            self, "unsigned_package", bucket=artifacts.bucket_name,
            key=f"functions/quarantine/unsigned/{code.sha256_hex}.zip", source=asset.path,
            source_hash=code.sha256_hex, kms_key_id=key.key_arn, checksum_algorithm="SHA256",
            depends_on=artifacts.ready_for_writes,
        )
        job = SignerSigningJob(
            self, "signing_job", profile_name=self.signing_profile.name,
            source=SignerSigningJobSource(s3=SignerSigningJobSourceS3(
                bucket=artifacts.bucket_name, key=unsigned.key, version=unsigned.version_id)),
            destination=SignerSigningJobDestination(s3=SignerSigningJobDestinationS3(
                bucket=artifacts.bucket_name, prefix="functions/quarantine/signed/")),
            ignore_signing_job_failure=False,
        )
        self.code_signing_config = LambdaCodeSigningConfig(
            self, "code_signing_config", description=f"{props.name_prefix}: only code signed by the platform profile",
            allowed_publishers=LambdaCodeSigningConfigAllowedPublishers(
                signing_profile_version_arns=[self.signing_profile.version_arn]),
            policies=LambdaCodeSigningConfigPolicies(untrusted_artifact_on_deployment="Enforce"),
        )
        signed = job.signed_object.get(0).s3.get(0)
        return {"s3_bucket": signed.bucket, "s3_key": signed.key,
                "code_signing_config_arn": self.code_signing_config.arn}

    # -- failures reach a human --------------------------------------------------------------------
    def _alarm_on_failures(self, props: QuarantineFunctionProps, alert_topic: AlertTopic) -> None:
        """A quarantine that did not happen must page someone: dead letters, function errors, and
        EventBridge deliveries that failed."""
        watched = [
            ("dead_letters", "AWS/SQS", "ApproximateNumberOfMessagesVisible", "Maximum",
             {"QueueName": self.dead_letter_queue.name}, "events in the quarantine DLQ (replay by hand)"),
            ("errors", "AWS/Lambda", "Errors", "Sum", {"FunctionName": self.function_name},
             "the quarantine function failed"),
            *[(f"failed_{rule_id}", "AWS/Events", "FailedInvocations", "Sum", {"RuleName": rule.name},
               f"EventBridge could not invoke the quarantine function ({rule_id.replace('_', ' ')})")
              for rule_id, rule in self.rules.items()],
        ]
        for key, namespace, metric, statistic, dimensions, text in watched:
            CloudwatchMetricAlarm(
                self, f"alarm_{key}", alarm_name=f"{props.name_prefix}-quarantine-{key.replace('_', '-')}",
                alarm_description=f"Automated response at risk: {text}", namespace=namespace, metric_name=metric,
                statistic=statistic, dimensions=dimensions, period=300, evaluation_periods=1, threshold=1,
                comparison_operator="GreaterThanOrEqualToThreshold", treat_missing_data="notBreaching",
                alarm_actions=[alert_topic.topic_arn], ok_actions=[alert_topic.topic_arn],
            )

    # -- event routing ----------------------------------------------------------------------------
    def _route_events(self, props: QuarantineFunctionProps, alert_topic: AlertTopic, alarm_names: list[str]) -> None:
        patterns = {
            "guardduty_findings": {
                "source": ["aws.guardduty"], "detail-type": ["GuardDuty Finding"],
                "detail": {"severity": [{"numeric": [">=", props.guardduty_min_severity]}]},
            },
            "security_alarms": {
                "source": ["aws.cloudwatch"], "detail-type": ["CloudWatch Alarm State Change"],
                "detail": {"alarmName": sorted(alarm_names), "state": {"value": ["ALARM"]}},
            },
        }
        self.rules: dict[str, CloudwatchEventRule] = {}
        for rule_id, pattern in patterns.items():
            rule = CloudwatchEventRule(
                self, f"rule_{rule_id}", name=f"{props.name_prefix}-quarantine-{rule_id.replace('_', '-')}",
                description=f"Quarantine trigger: {rule_id.replace('_', ' ')}",
                event_pattern=json.dumps(pattern, sort_keys=True),
            )
            self.rules[rule_id] = rule
            CloudwatchEventTarget(
                self, f"target_{rule_id}", rule=rule.name, target_id="quarantine-function", arn=self.function.arn,
                retry_policy=CloudwatchEventTargetRetryPolicy(maximum_event_age_in_seconds=3600,
                                                              maximum_retry_attempts=8),
                dead_letter_config=CloudwatchEventTargetDeadLetterConfig(arn=self.dead_letter_queue.arn),
            )
            LambdaPermission(self, f"invoke_from_{rule_id}", statement_id=f"EventBridge-{rule_id}",
                             action="lambda:InvokeFunction", function_name=self.function.function_name,
                             principal="events.amazonaws.com", source_arn=rule.arn, source_account=props.account_id)
            label = "".join(part.title() for part in rule_id.split("_"))
            self._queue_policy.add(Statement(
                sid=f"DeadLettersFrom{label}", effect="Allow", principals={"Service": "events.amazonaws.com"},
                actions=["sqs:SendMessage"], resources=[self.dead_letter_queue.arn],
                conditions={"ArnEquals": {"aws:SourceArn": rule.arn}}))
        # EventBridge sends no source context to KMS; the queue policy scopes it to the two rules.
        self._key.grant_service(sid="EventBridgeDeadLetters", service="events.amazonaws.com",
                                key_actions=("kms:Decrypt", "kms:GenerateDataKey"))
        # GuardDuty findings also page the humans (the alarms already notify the topic themselves).
        CloudwatchEventTarget(self, "target_guardduty_findings_alert", rule=self.rules["guardduty_findings"].name,
                              target_id="alert-topic", arn=alert_topic.topic_arn)
        alert_topic.allow_eventbridge_rule("GuardDutyFindings", self.rules["guardduty_findings"].arn)
