"""ServingAlarms: anomaly-detection bands plus static guard rails on the serving load balancer."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, ClassVar

from cdktf_cdktf_provider_aws.cloudwatch_metric_alarm import (
    CloudwatchMetricAlarm,
    CloudwatchMetricAlarmMetricQuery,
    CloudwatchMetricAlarmMetricQueryMetric,
)
from constructs import Construct
from pydantic import BaseModel, ConfigDict, Field

from zero_trust_ai.alert_topic import AlertTopic
from zero_trust_ai.base import PlatformConstruct
from zero_trust_ai.serving_load_balancer import ServingLoadBalancer


@dataclass(frozen=True)
class ServingSignal:
    """One metric watched twice: a learned band and a static threshold for the first days."""

    key: str
    metric: str
    statistic: str
    band_comparison: str
    static_threshold_field: str
    per_target_group: bool = False


SIGNALS = (
    ServingSignal("request-count", "RequestCount", "Sum", "LessThanLowerOrGreaterThanUpperThreshold",
                  "static_max_requests"),
    ServingSignal("target-4xx", "HTTPCode_Target_4XX_Count", "Sum", "GreaterThanUpperThreshold", "static_max_4xx"),
    ServingSignal("target-5xx", "HTTPCode_Target_5XX_Count", "Sum", "GreaterThanUpperThreshold", "static_max_5xx"),
    ServingSignal("target-latency", "TargetResponseTime", "p90", "GreaterThanUpperThreshold",
                  "static_max_latency_seconds", per_target_group=True),
)


class ServingAlarmsProps(BaseModel):
    """Props of :class:`ServingAlarms`. Static thresholds are per 5 minutes."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    name_prefix: str = Field(pattern=r"^[a-z0-9-]{3,40}$")
    band_width: float = Field(default=2.0, gt=0, le=10, description="Standard deviations of the band.")
    static_max_requests: float = Field(gt=0, description="E.g. the WAF rate limit times the expected clients.")
    static_max_4xx: float = Field(default=500, gt=0, description="Default: 500 client errors per 5 minutes.")
    static_max_5xx: float = Field(default=50, gt=0, description="Default: 50 server errors per 5 minutes.")
    static_max_latency_seconds: float = Field(default=2.0, gt=0, description="Default: p90 above 2 s.")
    evaluation_periods: int = Field(default=3, ge=1, description="Default: 3 periods of 5 minutes.")


class ServingAlarms(PlatformConstruct):
    """For request count, target 4xx, target 5xx and target latency: an ``ANOMALY_DETECTION_BAND`` alarm
    (the model learns the endpoint's normal shape within ~2 weeks) and, beside it, a static-threshold
    alarm that protects the first days before the model has learned. All notify ``alert_topic``."""

    implements: ClassVar[tuple[str, ...]] = ('ZT-SRV-1',)

    def __init__(self, scope: Construct, id: str, *, props: ServingAlarmsProps, load_balancer: ServingLoadBalancer,
                 alert_topic: AlertTopic) -> None:
        super().__init__(scope, id)
        self.anomaly_alarms: dict[str, CloudwatchMetricAlarm] = {}
        self.static_alarms: dict[str, CloudwatchMetricAlarm] = {}
        for signal in SIGNALS:
            dimensions = {"LoadBalancer": load_balancer.arn_suffix}
            if signal.per_target_group or signal.metric.startswith("HTTPCode_Target"):
                dimensions["TargetGroup"] = load_balancer.target_group.arn_suffix
            common: dict[str, Any] = {
                "evaluation_periods": props.evaluation_periods,
                "treat_missing_data": "notBreaching",
                "alarm_actions": [alert_topic.topic_arn],
                "ok_actions": [alert_topic.topic_arn],
            }
            self.anomaly_alarms[signal.key] = CloudwatchMetricAlarm(
                self, f"anomaly_{signal.key.replace('-', '_')}",
                alarm_name=f"{props.name_prefix}-serving-{signal.key}-anomaly",
                alarm_description=f"{signal.metric} outside its learned band ({props.band_width} standard deviations)",
                comparison_operator=signal.band_comparison, threshold_metric_id="band",
                metric_query=[
                    CloudwatchMetricAlarmMetricQuery(
                        id="observed", return_data=True,
                        metric=CloudwatchMetricAlarmMetricQueryMetric(
                            namespace="AWS/ApplicationELB", metric_name=signal.metric, period=300,
                            stat=signal.statistic, dimensions=dimensions)),
                    CloudwatchMetricAlarmMetricQuery(
                        id="band", return_data=True, label=f"{signal.metric} (expected)",
                        expression=f"ANOMALY_DETECTION_BAND(observed, {props.band_width})"),
                ],
                **common,
            )
            percentile = signal.statistic.startswith("p")
            extended: dict[str, Any] = {"extended_statistic" if percentile else "statistic": signal.statistic}
            self.static_alarms[signal.key] = CloudwatchMetricAlarm(
                self, f"static_{signal.key.replace('-', '_')}",
                alarm_name=f"{props.name_prefix}-serving-{signal.key}-static",
                alarm_description=f"{signal.metric} above the static guard rail (active before the band has learned)",
                namespace="AWS/ApplicationELB", metric_name=signal.metric, period=300, dimensions=dimensions,
                comparison_operator="GreaterThanThreshold",
                threshold=getattr(props, signal.static_threshold_field),
                **extended, **common,
            )
