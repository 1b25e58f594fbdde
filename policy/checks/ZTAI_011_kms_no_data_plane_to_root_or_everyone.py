"""ZTAI_011: no KMS key policy statement grants data-plane actions to the account root or to everyone.

The root principal stands for every IAM identity of the account whose own policy allows the action, so
``kms:*`` for root (the AWS default key policy) turns key use into an identity-policy question; a key
policy should name the roles that may use the key and leave root the management actions. A ``*``
principal is only acceptable when a condition binds it to a service path (``kms:ViaService`` together
with ``kms:CallerAccount``) or to named principals (``aws:PrincipalArn``). No policy at all means the
default key policy, which grants ``kms:*`` to root: that fails too.
"""

from __future__ import annotations

import re
from typing import Any

from _common import (  # type: ignore[import-not-found]
    bound_by,
    first,
    granted_actions,
    is_everyone,
    policy_statements,
    principals,
)
from checkov.common.models.enums import CheckCategories, CheckResult
from checkov.terraform.checks.resource.base_resource_check import BaseResourceCheck

DATA_ACTIONS = (
    "kms:Decrypt",
    "kms:Encrypt",
    "kms:GenerateDataKey",
    "kms:GenerateDataKeyWithoutPlaintext",
    "kms:GenerateDataKeyPair",
    "kms:GenerateDataKeyPairWithoutPlaintext",
    "kms:ReEncryptFrom",
    "kms:ReEncryptTo",
    "kms:Sign",
)
# arn:aws:iam::<account or ${...}>:root, a bare account id, or the caller-identity data source's account id
ROOT = re.compile(r"^(arn:aws[a-z-]*:iam::(\d{12}|\$\{[^}]+\}):root"
                  r"|\d{12}"
                  r"|\$\{data\.aws_caller_identity\.[^}]+\.account_id\})$")


def grants_data_plane_badly(statement: dict[str, Any]) -> bool:
    if statement.get("Effect", "Allow") != "Allow" or not granted_actions(statement, DATA_ACTIONS):
        return False
    if any(ROOT.match(p) for p in principals(statement)):
        return True
    if is_everyone(statement):
        via_service = bound_by(statement, "kms:ViaService") and bound_by(statement, "kms:CallerAccount")
        return not (via_service or bound_by(statement, "aws:PrincipalArn"))
    return False


class KmsNoDataPlaneToRootOrEveryone(BaseResourceCheck):
    def __init__(self) -> None:
        super().__init__(
            name="KMS key policies grant no data-plane action (Decrypt, Encrypt, GenerateDataKey*, ReEncrypt*, "
                 "Sign) to the account root or to an unbound '*' principal",
            id="CKV_ZTAI_011",
            categories=[CheckCategories.ENCRYPTION],
            supported_resources=["aws_kms_key"],
        )

    def scan_resource_conf(self, conf: dict[str, Any]) -> CheckResult:
        self.evaluated_keys = ["policy"]
        if not first(conf, "policy"):
            return CheckResult.FAILED  # the default key policy grants kms:* to the account root
        statements = policy_statements(conf)
        if statements is None:
            return CheckResult.UNKNOWN
        return CheckResult.FAILED if any(grants_data_plane_badly(s) for s in statements) else CheckResult.PASSED


check = KmsNoDataPlaneToRootOrEveryone()
