"""ZTAI_006: every KMS key has an explicit key policy, and symmetric keys rotate."""

from __future__ import annotations

from typing import Any

from _common import first  # type: ignore[import-not-found]
from checkov.common.models.enums import CheckCategories, CheckResult
from checkov.terraform.checks.resource.base_resource_check import BaseResourceCheck


class KmsKeyRotationAndPolicy(BaseResourceCheck):
    def __init__(self) -> None:
        super().__init__(
            name="KMS keys have an explicit policy; symmetric keys have rotation enabled",
            id="CKV_ZTAI_006",
            categories=[CheckCategories.ENCRYPTION],
            supported_resources=["aws_kms_key"],
        )

    def scan_resource_conf(self, conf: dict[str, Any]) -> CheckResult:
        if not first(conf, "policy"):
            return CheckResult.FAILED
        symmetric = first(conf, "customer_master_key_spec", "SYMMETRIC_DEFAULT") == "SYMMETRIC_DEFAULT" and \
            first(conf, "key_usage", "ENCRYPT_DECRYPT") == "ENCRYPT_DECRYPT"
        if symmetric and first(conf, "enable_key_rotation") is not True:
            return CheckResult.FAILED
        return CheckResult.PASSED


check = KmsKeyRotationAndPolicy()
