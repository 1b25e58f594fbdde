"""ZTAI_003: the validation bucket's policy explicitly denies object reads to named training roles.

checkov sees one resource at a time, so this check proves the *presence* of the explicit Deny on the
validation bucket; "no role except the trainer's reads training data" is a whole-graph property proven
by tests/test_invariants_identity.py on the synthesized JSON (see policy/checks/README.md).
"""

from __future__ import annotations

from typing import Any

from _common import as_list, first, policy_statements  # type: ignore[import-not-found]
from checkov.common.models.enums import CheckCategories, CheckResult
from checkov.terraform.checks.resource.base_resource_check import BaseResourceCheck


class ValidationBucketDeniesTraining(BaseResourceCheck):
    def __init__(self) -> None:
        super().__init__(
            name="Validation data bucket policy explicitly denies training identities",
            id="CKV_ZTAI_003",
            categories=[CheckCategories.IAM],
            supported_resources=["aws_s3_bucket_policy"],
        )

    def scan_resource_conf(self, conf: dict[str, Any]) -> CheckResult:
        if "validation" not in str(first(conf, "bucket", "")):
            return CheckResult.UNKNOWN  # not applicable: only validation buckets carry this deny
        statements = policy_statements(conf)
        if statements is None:
            return CheckResult.UNKNOWN
        for statement in statements:
            principal = statement.get("Principal", {})
            named = isinstance(principal, dict) and principal.get("AWS") not in (None, "*")
            if statement.get("Effect") == "Deny" and named and "s3:GetObject" in as_list(statement.get("Action")):
                return CheckResult.PASSED
        return CheckResult.FAILED


check = ValidationBucketDeniesTraining()
