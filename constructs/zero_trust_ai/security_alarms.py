"""SecurityAlarms: CloudTrail metric filters and alarms for the events a zero-trust platform must see."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import ClassVar

from cdktf_cdktf_provider_aws.cloudwatch_log_metric_filter import (
    CloudwatchLogMetricFilter,
    CloudwatchLogMetricFilterMetricTransformation,
)
from cdktf_cdktf_provider_aws.cloudwatch_metric_alarm import CloudwatchMetricAlarm
from constructs import Construct
from pydantic import BaseModel, ConfigDict, Field

from zero_trust_ai.alert_topic import AlertTopic
from zero_trust_ai.base import PlatformConstruct
from zero_trust_ai.secure_bucket import SecureBucket

# CloudWatch Logs rejects longer filter patterns.
MAX_FILTER_PATTERN = 1024


@dataclass(frozen=True)
class Detection:
    """One metric filter + alarm. ``quarantine``: the alarm names a principal worth isolating."""

    key: str
    description: str
    pattern: str
    threshold: int = 1
    quarantine: bool = False


def _any(field: str, values: Sequence[str]) -> str:
    return "(" + " || ".join(f'({field} = "{value}")' for value in values) + ")"


def _none_of(field: str, values: Sequence[str]) -> str:
    return " && ".join(f'({field} != "{value}")' for value in values)


IAM_POLICY_EVENTS = (
    "DeleteGroupPolicy", "DeleteRolePolicy", "DeleteUserPolicy", "PutGroupPolicy", "PutRolePolicy", "PutUserPolicy",
    "CreatePolicy", "DeletePolicy", "CreatePolicyVersion", "DeletePolicyVersion", "SetDefaultPolicyVersion",
    "AttachRolePolicy", "DetachRolePolicy", "AttachUserPolicy", "DetachUserPolicy", "AttachGroupPolicy",
    "DetachGroupPolicy", "UpdateAssumeRolePolicy", "PutRolePermissionsBoundary", "DeleteRolePermissionsBoundary",
)


class SecurityAlarmsProps(BaseModel):
    """Props of :class:`SecurityAlarms`."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    name_prefix: str = Field(pattern=r"^[a-z0-9-]{3,40}$")
    unauthorized_calls_threshold: int = Field(
        default=5, ge=1, description="Unauthorized calls per 5 minutes before alarming. Default: 5 (a burst)."
    )
    access_denied_quarantine_threshold: int = Field(
        default=10, ge=2, le=1000,
        description="Denied data-bucket requests of one role in 5 minutes before it is quarantined. Default: 10. "
        "A single denial only pages: a GET of a missing key is a 403 for a role without bucket-wide "
        "s3:ListBucket, an ordinary event.",
    )


class SecurityAlarms(PlatformConstruct):
    """CIS-style detections on the trail's log group, each an alarm that notifies ``alert_topic``:

    unauthorized API calls, root use, IAM policy changes, console sign-in without MFA, access denied on the
    data buckets, break-glass role use, and -- per data bucket -- *a principal touching a data bucket it was
    never granted*. CloudWatch cannot remember "never used before" per principal, so that seed example is
    approximated by the declared baseline: the roles the stack granted on the bucket (``granted_role_arns``).
    Any other assumed role producing a data event on the bucket (allowed or denied) raises the alarm.
    """

    implements: ClassVar[tuple[str, ...]] = ('ZT-LOG-1',)

    def __init__(self, scope: Construct, id: str, *, props: SecurityAlarmsProps, log_group_name: str,
                 alert_topic: AlertTopic, data_buckets: Sequence[SecureBucket], break_glass_role_arn: str) -> None:
        super().__init__(scope, id)
        self.namespace = f"ZTAI/{props.name_prefix}/Security"
        names = [bucket.props.bucket_name for bucket in data_buckets]
        denied = ('{ ($.eventSource = "s3.amazonaws.com") && ($.errorCode = "AccessDenied") && '
                  + _any("$.requestParameters.bucketName", names) + " }")
        detections = [
            Detection("unauthorized-api-calls", "Burst of unauthorized API calls",
                      '{ ($.errorCode = "*UnauthorizedOperation") || ($.errorCode = "AccessDenied*") }',
                      # account-wide and noisy (any caller's AccessDenied): pages a human, never quarantines
                      threshold=props.unauthorized_calls_threshold),
            Detection("root-account-usage", "The account root user was used",
                      '{ ($.userIdentity.type = "Root") && ($.userIdentity.invokedBy NOT EXISTS) && '
                      '($.eventType != "AwsServiceEvent") }'),
            Detection("iam-policy-changes", "An IAM policy, role policy or boundary changed",
                      '{ ($.eventSource = "iam.amazonaws.com") && ' + _any("$.eventName", IAM_POLICY_EVENTS) + " }"),
            Detection("console-signin-without-mfa", "Console sign-in without MFA",
                      '{ ($.eventName = "ConsoleLogin") && ($.additionalEventData.MFAUsed != "Yes") && '
                      '($.responseElements.ConsoleLogin = "Success") }'),
            Detection("data-bucket-access-denied", "Access denied on a data-lake bucket",
                      denied, quarantine=False),
            # the quarantine handler also requires this many matching records from the *same* role
            Detection("data-bucket-access-denied-burst", "A burst of denied requests on the data-lake buckets",
                      denied, threshold=props.access_denied_quarantine_threshold, quarantine=True),
            Detection("break-glass-role-use", "The break-glass role was assumed",
                      '{ ($.eventSource = "sts.amazonaws.com") && ($.eventName = "AssumeRole") && '
                      f'($.requestParameters.roleArn = "{break_glass_role_arn}") }}'),
        ]
        for bucket in data_buckets:
            label = bucket.node.id.replace("_", "-")
            granted = bucket.granted_role_arns
            pattern = ('{ ($.eventSource = "s3.amazonaws.com") && '
                       f'($.requestParameters.bucketName = "{bucket.props.bucket_name}") && '
                       '($.userIdentity.type = "AssumedRole")'
                       + (" && " + _none_of("$.userIdentity.sessionContext.sessionIssuer.arn", granted)
                          if granted else "") + " }")
            detections.append(Detection(f"unexpected-principal-{label}",
                                        f"A role without a grant touched the {label} bucket", pattern,
                                        quarantine=True))

        self.alarms: dict[str, CloudwatchMetricAlarm] = {}
        # alarms that may lead to quarantine (the function looks their filter patterns up itself)
        self.quarantine_alarm_names: list[str] = []
        # quarantining alarm -> records of one role needed to quarantine it (its alarm threshold)
        self.quarantine_min_events: dict[str, int] = {}
        for detection in detections:
            metric = "".join(part.title() for part in detection.key.split("-"))
            CloudwatchLogMetricFilter(
                self, f"filter_{detection.key}", name=f"{props.name_prefix}-{detection.key}",
                log_group_name=log_group_name, pattern=detection.pattern,
                metric_transformation=CloudwatchLogMetricFilterMetricTransformation(
                    name=metric, namespace=self.namespace, value="1", default_value="0", unit="Count"),
            )
            alarm_name = f"{props.name_prefix}-{detection.key}"
            self.alarms[detection.key] = CloudwatchMetricAlarm(
                self, f"alarm_{detection.key}", alarm_name=alarm_name,
                alarm_description=f"{detection.description} (CloudTrail metric filter; see docs/coverage)",
                namespace=self.namespace, metric_name=metric, statistic="Sum", period=300, evaluation_periods=1,
                threshold=detection.threshold, comparison_operator="GreaterThanOrEqualToThreshold",
                treat_missing_data="notBreaching", alarm_actions=[alert_topic.topic_arn],
                ok_actions=[alert_topic.topic_arn],
            )
            if detection.quarantine:
                self.quarantine_alarm_names.append(alarm_name)
                self.quarantine_min_events[alarm_name] = detection.threshold
        self.detections: Mapping[str, Detection] = {d.key: d for d in detections}
