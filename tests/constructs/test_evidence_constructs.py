"""Where evidence goes (zero_trust_ai.evidence_destinations) and ThreatDetection under a delegated administrator,
each synthesized alone."""

from __future__ import annotations

import pytest
from cdktf_cdktf_provider_aws.cloudtrail import Cloudtrail
from cdktf_cdktf_provider_aws.guardduty_detector import GuarddutyDetector
from cdktf_cdktf_provider_aws.securityhub_account import SecurityhubAccount
from construct_testing import ACCOUNT, REGION, new_stack, one, resources, synth
from constructs import Construct
from pydantic import ValidationError

from zero_trust_ai.audit_trail import AuditTrail, AuditTrailProps
from zero_trust_ai.delegated_accounts import DelegatedArchive
from zero_trust_ai.evidence_destinations import DelegatedEvidence
from zero_trust_ai.platform_key import PlatformKey, PlatformKeyProps
from zero_trust_ai.threat_detection import ThreatDetection, ThreatDetectionProps

ARCHIVE = DelegatedArchive(name_prefix="ztai-test", workload_account_id=ACCOUNT,
                           log_archive_account_id="555555555555", region=REGION)


def _trail(scope: Construct, name: str = "ztai-test-trail") -> AuditTrail:
    key = PlatformKey(scope, "logs", props=PlatformKeyProps(alias="alias/test-logs", description="the logs of the test",
                                                            account_id=ACCOUNT))
    return AuditTrail(scope, "trail", props=AuditTrailProps(trail_name=name, account_id=ACCOUNT, region=REGION,
                                                             log_retention_days=365),
                      destination=DelegatedEvidence(scope, "delegated", archive=ARCHIVE), logs_key=key,
                      data_buckets=[])


def test_a_delegated_trail_writes_remotely_with_the_key_arn_and_admits_nothing_locally() -> None:
    synthesized = synth(_trail)
    trail = one(synthesized, Cloudtrail.TF_RESOURCE_TYPE)
    assert trail["s3_bucket_name"] == ARCHIVE.archive_bucket_name
    assert trail["kms_key_id"].startswith("${data.aws_kms_key.") and trail["kms_key_id"].endswith(".arn}")
    (key,) = synthesized["data"]["aws_kms_key"].values()
    assert key["key_id"] == ARCHIVE.key_alias_arn
    assert "depends_on" not in trail
    assert not resources(synthesized, "aws_s3_bucket_policy")  # no local archive was even needed


def test_the_delegated_archive_admits_only_the_contracts_trail_and_prefix() -> None:
    with pytest.raises(ValueError, match=r"admits arn:aws:cloudtrail:.*:trail/ztai-test-trail only"):
        _trail(new_stack(), name="another-trail")
    evidence = DelegatedEvidence(new_stack(), "delegated", archive=ARCHIVE)
    with pytest.raises(ValueError, match="'alb/ztai-test-serving' only"):
        evidence.admit_load_balancer_logs(prefix="alb/elsewhere")
    delivery = evidence.admit_load_balancer_logs(prefix=ARCHIVE.load_balancer_log_prefix)
    assert (delivery.bucket_name, delivery.depends_on) == (ARCHIVE.access_log_bucket_name, ())


def test_threat_detection_under_a_delegated_administrator_creates_neither_detector_nor_hub() -> None:
    def build(scope: Construct) -> None:
        detection = ThreatDetection(scope, "td", props=ThreatDetectionProps(
            region=REGION, administrator_account_id="666666666666"))
        assert (detection.detector, detection.s3_protection, detection.security_hub) == (None, None, None)

    synthesized = synth(build)
    assert not resources(synthesized, GuarddutyDetector.TF_RESOURCE_TYPE)
    assert not resources(synthesized, SecurityhubAccount.TF_RESOURCE_TYPE)
    own = synth(lambda scope: ThreatDetection(scope, "td", props=ThreatDetectionProps(region=REGION)))
    assert len(resources(own, GuarddutyDetector.TF_RESOURCE_TYPE)) == 1
    assert len(resources(own, SecurityhubAccount.TF_RESOURCE_TYPE)) == 1


def test_an_administrator_is_named_by_account_id() -> None:
    with pytest.raises(ValidationError, match="administrator_account_id"):
        ThreatDetectionProps(region=REGION, administrator_account_id="security-tooling")


def test_the_delegated_accounts_of_a_membership_are_members_not_the_management_account() -> None:
    from zero_trust_ai.platform import OrganizationMembership

    membership = OrganizationMembership(management_account_id="999999999999", log_archive_account_id="555555555555",
                                        security_tooling_account_id="666666666666")
    assert (membership.log_archive_account_id, membership.security_tooling_account_id) == ("555555555555",
                                                                                           "666666666666")
    for field in ("log_archive_account_id", "security_tooling_account_id"):
        with pytest.raises(ValidationError, match=f"{field} 999999999999 is the management account"):
            OrganizationMembership(management_account_id="999999999999", **{field: "999999999999"})
        with pytest.raises(ValidationError, match=field):
            OrganizationMembership(management_account_id="999999999999", **{field: "log-archive"})
