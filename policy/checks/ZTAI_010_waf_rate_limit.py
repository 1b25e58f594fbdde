"""ZTAI_010: every WAFv2 web ACL has a blocking rate-based rule (serving abuse and model extraction)."""

from __future__ import annotations

from typing import Any

from _common import as_list, first  # type: ignore[import-not-found]
from checkov.common.models.enums import CheckCategories, CheckResult
from checkov.terraform.checks.resource.base_resource_check import BaseResourceCheck


class WebAclRateLimit(BaseResourceCheck):
    def __init__(self) -> None:
        super().__init__(
            name="WAFv2 web ACLs have a rate-based rule that blocks",
            id="CKV_ZTAI_010",
            categories=[CheckCategories.NETWORKING],
            supported_resources=["aws_wafv2_web_acl"],
        )

    def scan_resource_conf(self, conf: dict[str, Any]) -> CheckResult:
        for rule in as_list(conf.get("rule")):
            if not isinstance(rule, dict):
                continue
            statement = first(rule, "statement") or {}
            action = first(rule, "action") or {}
            if isinstance(statement, dict) and first(statement, "rate_based_statement") and \
                    isinstance(action, dict) and "block" in action:
                return CheckResult.PASSED
        return CheckResult.FAILED


check = WebAclRateLimit()
