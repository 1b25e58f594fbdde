"""ThreatDetection: GuardDuty (with S3 protection) and Security Hub (AWS foundational standard)."""

from __future__ import annotations

from typing import ClassVar

from cdktf_cdktf_provider_aws.guardduty_detector import GuarddutyDetector
from cdktf_cdktf_provider_aws.guardduty_detector_feature import GuarddutyDetectorFeature
from cdktf_cdktf_provider_aws.securityhub_account import SecurityhubAccount
from cdktf_cdktf_provider_aws.securityhub_standards_subscription import SecurityhubStandardsSubscription
from constructs import Construct
from pydantic import BaseModel, ConfigDict, Field

from zero_trust_ai.base import PlatformConstruct
from zero_trust_ai.validation import OptOutReason


class ThreatDetectionProps(BaseModel):
    """Props of :class:`ThreatDetection`."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    region: str
    finding_publishing_frequency: str = Field(
        default="FIFTEEN_MINUTES", pattern=r"^(FIFTEEN_MINUTES|ONE_HOUR|SIX_HOURS)$",
        description="How often updated findings reach EventBridge. Default: every 15 minutes (fastest).",
    )
    security_hub_opt_out_reason: OptOutReason | None = Field(
        default=None,
        description="Why Security Hub is not enabled (emulator gap only). Default: enabled, with the standard.",
    )
    administrator_account_id: str | None = Field(
        default=None, pattern=r"^\d{12}$",
        description="The organization's security-tooling account, delegated administrator of GuardDuty and Security "
        "Hub with auto-enable for every member. Set: this construct creates neither the detector (with its S3 "
        "protection) nor the Security Hub account and standard -- the administrator enables them in this account, "
        "and a second detector would fail ('detector already exists': one per account and region); findings still "
        "reach this account's EventBridge, so the quarantine rule works unchanged. Default: none -- this account "
        "runs its own.",
    )


class ThreatDetection(PlatformConstruct):
    """GuardDuty with S3 data-event protection and Security Hub with the AWS Foundational Security Best
    Practices standard. Findings reach EventBridge, where the quarantine rule picks them up.

    Under a delegated administrator (``administrator_account_id``) the account's detector and hub belong to the
    administrator's organization configuration: nothing is created here (``detector`` and ``security_hub`` are
    None). A member's findings are published to the member's own default event bus as well as the administrator's
    (https://docs.aws.amazon.com/guardduty/latest/ug/guardduty_findings_eventbridge.html), and the quarantine rule
    matches ``source``/``detail-type``/severity only, never a detector id.
    """

    implements: ClassVar[tuple[str, ...]] = ('ZT-LOG-1',)

    def __init__(self, scope: Construct, id: str, *, props: ThreatDetectionProps) -> None:
        super().__init__(scope, id)
        self.administrator_account_id = props.administrator_account_id
        self.standard_arn = (f"arn:aws:securityhub:{props.region}::standards/"
                             "aws-foundational-security-best-practices/v/1.0.0")
        self.detector: GuarddutyDetector | None = None
        self.s3_protection: GuarddutyDetectorFeature | None = None
        self.security_hub: SecurityhubAccount | None = None
        if props.administrator_account_id is not None:
            return  # the administrator enables both (see the class docstring)
        self.detector = GuarddutyDetector(self, "detector", enable=True,
                                          finding_publishing_frequency=props.finding_publishing_frequency)
        self.s3_protection = GuarddutyDetectorFeature(self, "s3_protection", detector_id=self.detector.id,
                                                      name="S3_DATA_EVENTS", status="ENABLED")
        if props.security_hub_opt_out_reason is not None:
            return
        self.security_hub = SecurityhubAccount(self, "security_hub", enable_default_standards=False,
                                               control_finding_generator="SECURITY_CONTROL",
                                               auto_enable_controls=True)
        SecurityhubStandardsSubscription(self, "foundational_standard", standards_arn=self.standard_arn,
                                         depends_on=[self.security_hub])
