"""ZTAI_013: S3 gateway endpoint policies only reach buckets of this account or organization.

A gateway endpoint with a name-based resource list (``arn:aws:s3:::ztai-dev-*``) still reaches a bucket
of that name in someone else's account: an exfiltration path out of a VPC without internet. Every Allow
statement must carry a positive condition on ``aws:ResourceAccount`` or ``aws:ResourceOrgID``. No policy
means the default full-access policy, which fails.

One exception, because its owner is AWS and not documented: ECR keeps image layers in
``prod-<region>-starport-layer-bucket`` and documents that the S3 endpoint must allow ``s3:GetObject``
on it. A statement that allows only ``s3:GetObject`` and only on that bucket of the endpoint's own region
(``com.amazonaws.<region>.s3``) needs no owner condition; anything wider does.
"""

from __future__ import annotations

import re
from typing import Any

from _common import bound_by, first, policy_statements, statement_list  # type: ignore[import-not-found]
from checkov.common.models.enums import CheckCategories, CheckResult
from checkov.terraform.checks.resource.base_resource_check import BaseResourceCheck

_SERVICE = re.compile(r"^com\.amazonaws\.(?P<region>.+)\.s3$")  # the region may be a ${...} reference


def s3_gateway_region(conf: dict[str, Any]) -> str | None:
    """The region of an S3 gateway endpoint, or None for any other endpoint."""
    match = _SERVICE.match(str(first(conf, "service_name", "") or ""))
    kind = str(first(conf, "vpc_endpoint_type", "Gateway") or "Gateway")
    return match.group("region") if match and kind.lower() == "gateway" else None


def is_ecr_layer_read(statement: dict[str, Any], region: str) -> bool:
    return statement_list(statement, "Action") == ["s3:GetObject"] and "NotAction" not in statement and \
        "NotResource" not in statement and \
        statement_list(statement, "Resource") == [f"arn:aws:s3:::prod-{region}-starport-layer-bucket/*"]


class S3GatewayBindsResourceOwner(BaseResourceCheck):
    def __init__(self) -> None:
        super().__init__(
            name="S3 gateway endpoint policies condition every Allow on aws:ResourceAccount or aws:ResourceOrgID",
            id="CKV_ZTAI_013",
            categories=[CheckCategories.NETWORKING],
            supported_resources=["aws_vpc_endpoint"],
        )

    def scan_resource_conf(self, conf: dict[str, Any]) -> CheckResult:
        region = s3_gateway_region(conf)
        if region is None:
            return CheckResult.UNKNOWN  # not applicable: interface endpoints and other services
        self.evaluated_keys = ["policy"]
        if not first(conf, "policy"):
            return CheckResult.FAILED  # the default endpoint policy allows everything
        statements = policy_statements(conf)
        if statements is None:
            return CheckResult.UNKNOWN
        for statement in statements:
            if statement.get("Effect", "Allow") == "Allow" and not (
                    bound_by(statement, "aws:ResourceAccount") or bound_by(statement, "aws:ResourceOrgID")
                    or is_ecr_layer_read(statement, region)):
                return CheckResult.FAILED
        return CheckResult.PASSED


check = S3GatewayBindsResourceOwner()
