"""ZTAI_001: no route of a platform VPC leads to an internet or NAT gateway (and none exists)."""

from __future__ import annotations

from typing import Any

from _common import blocks, first  # type: ignore[import-not-found]
from checkov.common.models.enums import CheckCategories, CheckResult
from checkov.terraform.checks.resource.base_resource_check import BaseResourceCheck

_INTERNET = ("aws_internet_gateway.", "aws_egress_only_internet_gateway.", "aws_nat_gateway.", "igw-", "nat-")


class TrainingVpcHasNoInternetRoute(BaseResourceCheck):
    def __init__(self) -> None:
        super().__init__(
            name="Platform VPCs have no route to an internet or NAT gateway",
            id="CKV_ZTAI_001",
            categories=[CheckCategories.NETWORKING],
            supported_resources=["aws_route", "aws_route_table", "aws_default_route_table", "aws_internet_gateway",
                                 "aws_nat_gateway", "aws_egress_only_internet_gateway"],
        )

    def scan_resource_conf(self, conf: dict[str, Any]) -> CheckResult:
        resource_type = self.entity_type
        if resource_type in ("aws_internet_gateway", "aws_nat_gateway", "aws_egress_only_internet_gateway"):
            return CheckResult.FAILED
        routes = [conf] if resource_type == "aws_route" else blocks(conf, "route")  # every route, not the first
        for route in routes:
            for key in ("gateway_id", "nat_gateway_id", "egress_only_gateway_id"):
                target = str(first(route, key, "") or "")
                if any(marker in target for marker in _INTERNET):
                    return CheckResult.FAILED
        return CheckResult.PASSED


check = TrainingVpcHasNoInternetRoute()
