"""ZTAI_005: every bucket policy denies requests without TLS (aws:SecureTransport = false)."""

from __future__ import annotations

from typing import Any

from _common import policy_statements  # type: ignore[import-not-found]
from checkov.common.models.enums import CheckCategories, CheckResult
from checkov.terraform.checks.resource.base_resource_check import BaseResourceCheck


class BucketDeniesNonTls(BaseResourceCheck):
    def __init__(self) -> None:
        super().__init__(
            name="Bucket policies deny non-TLS requests",
            id="CKV_ZTAI_005",
            categories=[CheckCategories.ENCRYPTION],
            supported_resources=["aws_s3_bucket_policy"],
        )

    def scan_resource_conf(self, conf: dict[str, Any]) -> CheckResult:
        statements = policy_statements(conf)
        if statements is None:
            return CheckResult.UNKNOWN
        for statement in statements:
            secure = statement.get("Condition", {}).get("Bool", {}).get("aws:SecureTransport")
            if statement.get("Effect") == "Deny" and secure in ("false", False):
                return CheckResult.PASSED
        return CheckResult.FAILED


check = BucketDeniesNonTls()
