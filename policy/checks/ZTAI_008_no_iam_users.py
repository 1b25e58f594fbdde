"""ZTAI_008: no IAM users, access keys or login profiles: every identity is a role with short sessions."""

from __future__ import annotations

from typing import Any

from checkov.common.models.enums import CheckCategories, CheckResult
from checkov.terraform.checks.resource.base_resource_check import BaseResourceCheck


class NoIamUsersOrAccessKeys(BaseResourceCheck):
    def __init__(self) -> None:
        super().__init__(
            name="No IAM users, access keys or login profiles",
            id="CKV_ZTAI_008",
            categories=[CheckCategories.IAM],
            supported_resources=["aws_iam_user", "aws_iam_access_key", "aws_iam_user_login_profile",
                                 "aws_iam_user_policy", "aws_iam_user_policy_attachment"],
        )

    def scan_resource_conf(self, conf: dict[str, Any]) -> CheckResult:
        return CheckResult.FAILED


check = NoIamUsersOrAccessKeys()
