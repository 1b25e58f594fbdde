"""ZTAI_002: every load-balancer listener is HTTPS with mutual TLS in verify mode."""

from __future__ import annotations

from typing import Any

from _common import first  # type: ignore[import-not-found]
from checkov.common.models.enums import CheckCategories, CheckResult
from checkov.terraform.checks.resource.base_resource_check import BaseResourceCheck


class ListenerEnforcesMutualTls(BaseResourceCheck):
    def __init__(self) -> None:
        super().__init__(
            name="Load-balancer listeners enforce mutual TLS (mode verify, trust store set)",
            id="CKV_ZTAI_002",
            categories=[CheckCategories.ENCRYPTION],
            supported_resources=["aws_lb_listener", "aws_alb_listener"],
        )

    def scan_resource_conf(self, conf: dict[str, Any]) -> CheckResult:
        if str(first(conf, "protocol", "")).upper() != "HTTPS":
            return CheckResult.FAILED
        mutual = first(conf, "mutual_authentication")
        if not isinstance(mutual, dict):
            return CheckResult.FAILED
        if first(mutual, "mode") != "verify" or not first(mutual, "trust_store_arn"):
            return CheckResult.FAILED
        return CheckResult.PASSED


check = ListenerEnforcesMutualTls()
