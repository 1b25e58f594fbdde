"""SignedFunction: a hardened, code-signed Lambda function (the base of the platform's functions)."""

from __future__ import annotations

import base64
from collections.abc import Mapping
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
    """A built deployment package (see ``zero_trust_ai.packaging``)."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    path: Path
    sha256_hex: str = Field(pattern=r"^[0-9a-f]{64}$")


class FunctionOptOuts(BaseModel):
    """The emulator-only opt-outs every platform function accepts (each needs its reason)."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    ignore_dead_letter_config_drift_reason: str | None = Field(
        default=None, min_length=20, description="Emulator gap only (see stacks/config/emulator_gaps.py).")
    code_signing_opt_out_reason: str | None = Field(
        default=None, min_length=20,
        description="Why the package is deployed without a signing job and code-signing config (emulator gap "
        "only). Default: signed by AWS Signer and enforced by a code-signing config.",
    )


class SignedFunctionProps(FunctionOptOuts):
    """Props of :class:`SignedFunction`."""

    name_prefix: str = Field(pattern=r"^[a-z0-9-]{3,40}$")
    short_name: str = Field(pattern=r"^[a-z][a-z0-9-]{2,20}$", description="Function is `<prefix>-<short_name>`.")
    grant_name: str = Field(pattern=r"^[A-Za-z0-9]+$")
    description: str = Field(min_length=8)
    account_id: str = Field(pattern=r"^\d{12}$")
    region: str
    log_retention_days: int = Field(ge=365)
    reserved_concurrency: int = Field(default=2, ge=1, le=10, description="Default: 2 concurrent runs at most.")
    timeout_seconds: int = Field(default=60, ge=1, le=900)


class SignedFunction(PlatformConstruct):
    """A Python Lambda function outside any VPC with: a least-privilege role (Lambda trusts it by
    aws:SourceAccount; permissions come from subclasses), a KMS-encrypted log group, an SQS DLQ (KMS),
    reserved concurrency, a KMS-encrypted environment, X-Ray, the key usable only via Lambda and SQS, and
    a package signed by an AWS Signer profile, enforced by a code-signing config. Dead letters and errors
    page the alert topic. Subclasses grant, then call :meth:`deploy`, then route events to it."""

    implements: ClassVar[tuple[str, ...]] = ()

    def __init__(self, scope: Construct, id: str, *, props: SignedFunctionProps, code: FunctionCode,
                 key: PlatformKey, artifacts: SecureBucket) -> None:
        super().__init__(scope, id)
        self.function_props = props
        prefix, region, account = props.name_prefix, props.region, props.account_id
        self.function_name = f"{prefix}-{props.short_name}"
        self.function_arn = f"arn:aws:lambda:{region}:{account}:function:{self.function_name}"
        self._key = key
        self.dead_letter_queue = SqsQueue(self, "dead_letter_queue", name=f"{self.function_name}-dlq",
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
            props=WorkloadRoleProps(role_name=f"{self.function_name}-function", grant_name=props.grant_name,
                                    service="lambda.amazonaws.com", account_id=account,
                                    source_arn_opt_out_reason=LAMBDA_EXECUTION_ROLE_REASON,
                                    description=props.description),
        )
        role = self.role
        role.add_to_policy(Statement(sid="WriteOwnLogs", effect="Allow", actions=actions.LOGS_WRITE,
                                     resources=[f"{self.log_group.arn}:log-stream:*"]))
        role.add_to_policy(Statement(sid="DeadLetters", effect="Allow", actions=["sqs:SendMessage"],
                                     resources=[self.dead_letter_queue.arn]))
        role.add_to_policy(Statement(sid="XRayTraces", effect="Allow", actions=actions.XRAY_WRITE, resources=["*"]))
        # the key only through Lambda (environment) and SQS (dead letters), never directly
        key.grant_decrypt(role, via_service=f"lambda.{region}.amazonaws.com")
        key.grant_encrypt_decrypt(role, via_service=f"sqs.{region}.amazonaws.com")
        self._queue_policy = PolicyDocument([
            Statement(sid="DenyWithoutTls", effect="Deny", principals={"AWS": "*"}, actions=["sqs:SendMessage"],
                      resources=[self.dead_letter_queue.arn], conditions={"Bool": {"aws:SecureTransport": "false"}}),
        ])
        SqsQueuePolicy(self, "dead_letter_queue_policy", queue_url=self.dead_letter_queue.url,
                       policy=self._queue_policy.lazy_json())
        self._package_info = self._package(props, code, artifacts, key)
        self._eventbridge_dead_letters = False

    # -- the function ---------------------------------------------------------------------------------
    def deploy(self, environment: Mapping[str, str], alert_topic: AlertTopic) -> LambdaFunction:
        props, package = self.function_props, self._package_info
        self.function = LambdaFunction(
            self, "function",
            function_name=self.function_name,
            description=props.description,
            role=self.role.role_arn,
            runtime=RUNTIME,
            handler=HANDLER,
            timeout=props.timeout_seconds,
            memory_size=256,
            reserved_concurrent_executions=props.reserved_concurrency,
            kms_key_arn=self._key.key_arn,
            environment=LambdaFunctionEnvironment(variables=dict(environment)),
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
        self._alarm("dead_letters", "AWS/SQS", "ApproximateNumberOfMessagesVisible", "Maximum",
                    {"QueueName": self.dead_letter_queue.name},
                    f"events in the {props.short_name} DLQ (replay by hand)", alert_topic)
        self._alarm("errors", "AWS/Lambda", "Errors", "Sum", {"FunctionName": self.function_name},
                    f"the {props.short_name} function failed", alert_topic)
        return self.function

    def invoke_from_rule(self, rule_id: str, rule: CloudwatchEventRule, alert_topic: AlertTopic) -> None:
        """An EventBridge rule invokes the function (retries, DLQ, permission by rule ARN, failure alarm)."""
        props = self.function_props
        CloudwatchEventTarget(
            self, f"target_{rule_id}", rule=rule.name, target_id=f"{props.short_name}-function",
            arn=self.function.arn,
            retry_policy=CloudwatchEventTargetRetryPolicy(maximum_event_age_in_seconds=3600, maximum_retry_attempts=8),
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
        if not self._eventbridge_dead_letters:
            # EventBridge sends no source context to KMS; SQS server-side encryption always binds the queue in the
            # encryption context, so the grant is limited to this dead-letter queue. The queue policy scopes the
            # senders to the rules. https://docs.aws.amazon.com/AWSSimpleQueueService/latest/SQSDeveloperGuide/sqs-key-management.html
            label = "".join(part.title() for part in props.short_name.split("-"))
            self._key.grant_service(sid=f"EventBridgeDeadLetters{label}", service="events.amazonaws.com",
                                    key_actions=("kms:Decrypt", "kms:GenerateDataKey"),
                                    # by name: the queue is encrypted with the key (a reference would be a cycle)
                                    conditions={"StringEquals": {"kms:EncryptionContext:aws:sqs:arn": (
                                        f"arn:aws:sqs:{props.region}:{props.account_id}:{self.function_name}-dlq")}})
            self._eventbridge_dead_letters = True
        self._alarm(f"failed_{rule_id}", "AWS/Events", "FailedInvocations", "Sum", {"RuleName": rule.name},
                    f"EventBridge could not invoke the {props.short_name} function ({rule_id.replace('_', ' ')})",
                    alert_topic)

    def _alarm(self, key: str, namespace: str, metric: str, statistic: str, dimensions: dict[str, str],
               text: str, alert_topic: AlertTopic) -> None:
        props = self.function_props
        CloudwatchMetricAlarm(
            self, f"alarm_{key}", alarm_name=f"{self.function_name}-{key.replace('_', '-')}",
            alarm_description=f"{props.short_name} at risk: {text}", namespace=namespace, metric_name=metric,
            statistic=statistic, dimensions=dimensions, period=300, evaluation_periods=1, threshold=1,
            comparison_operator="GreaterThanOrEqualToThreshold", treat_missing_data="notBreaching",
            alarm_actions=[alert_topic.topic_arn], ok_actions=[alert_topic.topic_arn],
        )

    # -- code -------------------------------------------------------------------------------------
    def _package(self, props: SignedFunctionProps, code: FunctionCode, artifacts: SecureBucket,
                 key: PlatformKey) -> dict[str, str]:
        asset = TerraformAsset(self, "code", path=str(code.path), type=AssetType.FILE)
        self.signing_profile = SignerSigningProfile(
            # canceled profile names stay reserved for two years: a prefix lets a replacement get a new name
            self, "signing_profile",
            name_prefix=f"{props.name_prefix.replace('-', '_')}_{props.short_name.replace('-', '_')}_",
            platform_id="AWSLambda-SHA384-ECDSA",
        )
        if props.code_signing_opt_out_reason is not None:
            # Emulator only: the package goes straight from the asset (moto cannot sign it, and refuses
            # uploads into policy-protected buckets -- see stacks/config/emulator_gaps.py).
            return {"filename": asset.path,
                    "source_code_hash": base64.b64encode(bytes.fromhex(code.sha256_hex)).decode()}
        folder = f"functions/{props.short_name}"
        unsigned = S3Object(
            self, "unsigned_package", bucket=artifacts.bucket_name, key=f"{folder}/unsigned/{code.sha256_hex}.zip",
            source=asset.path, source_hash=code.sha256_hex, kms_key_id=key.key_arn, checksum_algorithm="SHA256",
            depends_on=artifacts.ready_for_writes,
        )
        job = SignerSigningJob(
            self, "signing_job", profile_name=self.signing_profile.name,
            source=SignerSigningJobSource(s3=SignerSigningJobSourceS3(
                bucket=artifacts.bucket_name, key=unsigned.key, version=unsigned.version_id)),
            destination=SignerSigningJobDestination(s3=SignerSigningJobDestinationS3(
                bucket=artifacts.bucket_name, prefix=f"{folder}/signed/")),
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
