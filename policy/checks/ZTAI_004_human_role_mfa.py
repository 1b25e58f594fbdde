"""ZTAI_004: every role people can assume requires MFA with a freshness bound."""

from __future__ import annotations

from typing import Any

from _common import policy_statements  # type: ignore[import-not-found]
from checkov.common.models.enums import CheckCategories, CheckResult
from checkov.terraform.checks.resource.base_resource_check import BaseResourceCheck


class HumanRoleRequiresFreshMfa(BaseResourceCheck):
    def __init__(self) -> None:
        super().__init__(
            name="Roles assumable by AWS principals require MFA present and aws:MultiFactorAuthAge",
            id="CKV_ZTAI_004",
            categories=[CheckCategories.IAM],
            supported_resources=["aws_iam_role"],
        )

    def scan_resource_conf(self, conf: dict[str, Any]) -> CheckResult:
        statements = policy_statements(conf, "assume_role_policy")
        if statements is None:
            return CheckResult.UNKNOWN
        human = [s for s in statements if s.get("Effect") == "Allow" and "AWS" in (s.get("Principal") or {})]
        if not human:
            return CheckResult.UNKNOWN  # service role: not applicable
        for statement in human:
            condition = statement.get("Condition", {})
            present = condition.get("Bool", {}).get("aws:MultiFactorAuthPresent") in ("true", True)
            fresh = "aws:MultiFactorAuthAge" in condition.get("NumericLessThan", {}) or \
                "aws:MultiFactorAuthAge" in condition.get("NumericLessThanEquals", {})
            if not (present and fresh):
                return CheckResult.FAILED
        return CheckResult.PASSED


check = HumanRoleRequiresFreshMfa()
