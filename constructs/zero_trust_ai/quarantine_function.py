"""QuarantineFunction: isolates a compromised role automatically and releases it after a window."""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from typing import ClassVar

from cdktf_cdktf_provider_aws.cloudwatch_event_rule import CloudwatchEventRule
from cdktf_cdktf_provider_aws.cloudwatch_event_target import CloudwatchEventTarget
from cdktf_cdktf_provider_aws.scheduler_schedule_group import SchedulerScheduleGroup
from constructs import Construct
from pydantic import Field

from zero_trust_ai import actions
from zero_trust_ai.alert_topic import AlertTopic
from zero_trust_ai.platform_key import PlatformKey
from zero_trust_ai.policy import Statement
from zero_trust_ai.secure_bucket import SecureBucket
from zero_trust_ai.signed_function import FunctionCode, FunctionOptOuts, SignedFunction, SignedFunctionProps
from zero_trust_ai.validation import RetentionDays
from zero_trust_ai.workload_role import WorkloadRole, WorkloadRoleProps


class QuarantineFunctionProps(FunctionOptOuts):
    """Props of :class:`QuarantineFunction`."""

    name_prefix: str = Field(pattern=r"^[a-z0-9-]{3,40}$")
    account_id: str = Field(pattern=r"^\d{12}$")
    region: str
    window_minutes: int = Field(ge=5, le=10080, description="How long a role stays quarantined.")
    guardduty_min_severity: float = Field(ge=1.0, le=8.9)
    log_retention_days: RetentionDays = Field(description="A retention CloudWatch accepts (>= 365 days).")
    reserved_concurrency: int = Field(default=2, ge=1, le=10, description="Default: 2 concurrent runs at most.")
    lookback_minutes: int = Field(default=15, ge=5, le=60, description="Trail search window for alarm events.")


class QuarantineFunction(SignedFunction):
    """An EventBridge rule on GuardDuty findings (severity >= the configured minimum) and one on the
    quarantining alarms invoke a Python function that attaches a deny-all inline policy to the offending
    role (plus an ``aws:TokenIssueTime`` deny that keeps its earlier sessions revoked), tags and logs what
    it did, and schedules the release with EventBridge Scheduler.

    Hardening (see :class:`SignedFunction` for the function itself): least-privilege role limited to this
    platform's roles with explicit denies on the protected ones (break-glass, auditor, evidence delivery,
    itself and its releaser); failures of any step page the alert topic.
    """

    implements: ClassVar[tuple[str, ...]] = ('ZT-LOG-2',)

    def __init__(self, scope: Construct, id: str, *, props: QuarantineFunctionProps, code: FunctionCode,
                 key: PlatformKey, artifacts: SecureBucket, alert_topic: AlertTopic, trail_log_group_name: str,
                 alarm_names: Sequence[str], protected_role_arns: Sequence[str],
                 alarm_min_events: Mapping[str, int] | None = None) -> None:
        super().__init__(scope, id, code=code, key=key, artifacts=artifacts, props=SignedFunctionProps(
            name_prefix=props.name_prefix, short_name="quarantine", grant_name="Quarantine",
            description="Quarantines a compromised platform role (deny-all + session revocation), then releases it",
            account_id=props.account_id, region=props.region, log_retention_days=props.log_retention_days,
            reserved_concurrency=props.reserved_concurrency,
            ignore_dead_letter_config_drift_reason=props.ignore_dead_letter_config_drift_reason,
            code_signing_opt_out_reason=props.code_signing_opt_out_reason))
        prefix, region, account = props.name_prefix, props.region, props.account_id
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
        self.release_schedules_arn = f"arn:aws:scheduler:{region}:{account}:schedule/{prefix}-quarantine/*"
        self._grant_quarantine_permissions(prefix, region, account, trail_log_group_name)
        self.deploy({
            "QUARANTINE_WINDOW_MINUTES": str(props.window_minutes),
            "MANAGED_ROLE_PREFIX": f"{prefix}-",
            "PROTECTED_ROLE_ARNS": ",".join(self.protected_role_arns),
            "SCHEDULE_GROUP": f"{prefix}-quarantine",
            "SCHEDULER_ROLE_ARN": self.scheduler_role.role_arn,
            "TRAIL_LOG_GROUP": trail_log_group_name,
            # The function looks each alarm's metric filter up in CloudWatch Logs (no patterns in the
            # environment: Lambda caps it at 4 KB).
            "QUARANTINE_ALARMS": ",".join(sorted(alarm_names)),
            # a role is quarantined by a burst alarm only for its own burst (not for one 403 beside it)
            "QUARANTINE_MIN_EVENTS": ",".join(f"{name}={count}" for name, count in
                                              sorted((alarm_min_events or {}).items()) if count > 1),
            "LOOKBACK_MINUTES": str(props.lookback_minutes),
        }, alert_topic)
        self._route_events(props, alert_topic, list(alarm_names))

    @property
    def own_role_arns(self) -> list[str]:
        """The function's role and the role that releases quarantines."""
        return [self.role.role_arn, self.scheduler_role.role_arn]

    def _grant_quarantine_permissions(self, prefix: str, region: str, account: str, trail_log_group_name: str) -> None:
        role = self.role
        role.add_to_policy(Statement(sid="QuarantinePlatformRoles", effect="Allow", actions=actions.QUARANTINE_IAM,
                                     resources=[f"arn:aws:iam::{account}:role/{prefix}-*"]))
        role.add_to_policy(Statement(sid="NeverTouchProtectedRoles", effect="Deny", actions=actions.QUARANTINE_IAM,
                                     resources=self.protected_role_arns))
        role.add_to_policy(Statement(sid="ScheduleRelease", effect="Allow", actions=actions.QUARANTINE_SCHEDULER,
                                     resources=[self.release_schedules_arn]))
        self.scheduler_role.grant_pass_role(role)
        role.add_to_policy(Statement(sid="FindOffendersInTrail", effect="Allow",
                                     actions=actions.QUARANTINE_TRAIL_LOOKUP,
                                     resources=[f"arn:aws:logs:{region}:{account}:log-group:{trail_log_group_name}:*"]))

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
            self.invoke_from_rule(rule_id, rule, alert_topic)
        # GuardDuty findings also page the humans (the alarms already notify the topic themselves).
        CloudwatchEventTarget(self, "target_guardduty_findings_alert", rule=self.rules["guardduty_findings"].name,
                              target_id="alert-topic", arn=alert_topic.topic_arn)
        alert_topic.allow_eventbridge_rule("GuardDutyFindings", self.rules["guardduty_findings"].arn)
