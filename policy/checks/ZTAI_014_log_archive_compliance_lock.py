"""ZTAI_014: the log archive's Object Lock default retention is in COMPLIANCE mode.

GOVERNANCE retention can be bypassed by anyone with ``s3:BypassGovernanceRetention``, which an attacker
with administrative access has; COMPLIANCE cannot be shortened or removed by any principal, including
root. Object Lock configurations whose construct path is under ``log_archive/`` are in scope; a
configuration without a default retention fails.
"""

from __future__ import annotations

from typing import Any

from _common import first, under  # type: ignore[import-not-found]
from checkov.common.models.enums import CheckCategories, CheckResult
from checkov.terraform.checks.resource.base_resource_check import BaseResourceCheck


class LogArchiveComplianceLock(BaseResourceCheck):
    def __init__(self) -> None:
        super().__init__(
            name="Log archive Object Lock default retention mode is COMPLIANCE",
            id="CKV_ZTAI_014",
            categories=[CheckCategories.BACKUP_AND_RECOVERY],
            supported_resources=["aws_s3_bucket_object_lock_configuration"],
        )

    def scan_resource_conf(self, conf: dict[str, Any]) -> CheckResult:
        if not under(conf, "log_archive"):
            return CheckResult.UNKNOWN  # not applicable: other locked buckets may use GOVERNANCE
        self.evaluated_keys = ["rule"]
        rule = first(conf, "rule")
        retention = first(rule, "default_retention") if isinstance(rule, dict) else None
        mode = first(retention, "mode") if isinstance(retention, dict) else None
        return CheckResult.PASSED if mode == "COMPLIANCE" else CheckResult.FAILED


check = LogArchiveComplianceLock()
