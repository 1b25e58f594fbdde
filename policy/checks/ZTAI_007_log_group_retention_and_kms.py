"""ZTAI_007: every CloudWatch log group is KMS-encrypted and retained at least 365 days."""

from __future__ import annotations

from typing import Any

from _common import first  # type: ignore[import-not-found]
from checkov.common.models.enums import CheckCategories, CheckResult
from checkov.terraform.checks.resource.base_resource_check import BaseResourceCheck

MIN_DAYS = 365


class LogGroupRetainedAndEncrypted(BaseResourceCheck):
    def __init__(self) -> None:
        super().__init__(
            name="CloudWatch log groups are KMS-encrypted and retained >= 365 days",
            id="CKV_ZTAI_007",
            categories=[CheckCategories.LOGGING],
            supported_resources=["aws_cloudwatch_log_group"],
        )

    def scan_resource_conf(self, conf: dict[str, Any]) -> CheckResult:
        days = first(conf, "retention_in_days", 0)
        if not first(conf, "kms_key_id"):
            return CheckResult.FAILED
        # 0 means "never expire", which satisfies a minimum retention.
        if not isinstance(days, int) or (days != 0 and days < MIN_DAYS):
            return CheckResult.FAILED
        return CheckResult.PASSED


check = LogGroupRetainedAndEncrypted()
