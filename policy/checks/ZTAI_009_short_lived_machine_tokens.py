"""ZTAI_009: serving app clients issue only client-credentials access tokens valid for at most 15 minutes."""

from __future__ import annotations

from typing import Any

from _common import as_list, first  # type: ignore[import-not-found]
from checkov.common.models.enums import CheckCategories, CheckResult
from checkov.terraform.checks.resource.base_resource_check import BaseResourceCheck

MAX_MINUTES = 15
SECONDS_PER_UNIT = {"seconds": 1, "minutes": 60, "hours": 3600, "days": 86400}


class ShortLivedMachineTokens(BaseResourceCheck):
    def __init__(self) -> None:
        super().__init__(
            name="Cognito app clients use client credentials only, with access tokens of at most 15 minutes",
            id="CKV_ZTAI_009",
            categories=[CheckCategories.IAM],
            supported_resources=["aws_cognito_user_pool_client"],
        )

    def scan_resource_conf(self, conf: dict[str, Any]) -> CheckResult:
        flows = as_list(first(conf, "allowed_oauth_flows"))
        if flows and flows != ["client_credentials"]:
            return CheckResult.FAILED
        validity = first(conf, "access_token_validity")
        if validity is None:
            return CheckResult.FAILED  # Cognito's default is 60 minutes
        units = first(conf, "token_validity_units") or {}
        unit = first(units, "access_token", "hours") if isinstance(units, dict) else "hours"
        try:
            seconds = float(validity) * SECONDS_PER_UNIT.get(str(unit), 3600)
        except (TypeError, ValueError):
            return CheckResult.UNKNOWN
        return CheckResult.PASSED if seconds <= MAX_MINUTES * 60 else CheckResult.FAILED


check = ShortLivedMachineTokens()
