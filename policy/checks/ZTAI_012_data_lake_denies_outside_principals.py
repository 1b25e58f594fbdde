"""ZTAI_012: every data-lake bucket policy denies object reads and writes to principals outside its grants.

An Allow in a bucket policy adds to what identity policies allow; only a Deny keeps out a principal
that someone later grants ``s3:GetObject`` on ``*``. The required statement: Effect Deny, Principal
``*``, actions covering ``s3:GetObject``, ``s3:GetObjectVersion`` and ``s3:PutObject`` (``s3:GetObject*``
does), object resources, and a condition ``ArnNotLike``/``ArnNotEquals``/``StringNotLike``/
``StringNotEquals`` on ``aws:PrincipalArn`` listing the granted principals. Several such statements may
share the actions between them. The only other condition allowed is ``aws:PrincipalIsAWSService`` =
false (Bool/BoolIfExists: service principals delivering to the bucket are not IAM principals); any
other condition (TLS, KMS key, ...) narrows the Deny to some requests and does not count. A bucket
nobody is granted denies everyone: the same statement without the ``aws:PrincipalArn`` condition.
Data-lake buckets are the ones whose construct path is under ``data_lake/`` (cdktf's ``//`` metadata);
other bucket policies are not in scope.
"""

from __future__ import annotations

from typing import Any

from _common import (  # type: ignore[import-not-found]
    conditions,
    granted_actions,
    is_everyone,
    policy_statements,
    statement_list,
    under,
)
from checkov.common.models.enums import CheckCategories, CheckResult
from checkov.terraform.checks.resource.base_resource_check import BaseResourceCheck

OBJECT_ACTIONS = ("s3:GetObject", "s3:GetObjectVersion", "s3:PutObject")
NEGATED = frozenset({"ArnNotLike", "ArnNotEquals", "StringNotLike", "StringNotEquals"})


def only_excludes_granted_principals(statement: dict[str, Any]) -> bool:
    """Every condition exempts either the granted principals (by ARN) or AWS service principals."""
    for operator, key, values in conditions(statement):
        if key == "aws:principalarn" and operator in NEGATED and values and "*" not in values:
            continue
        if key == "aws:principalisawsservice" and operator in ("Bool", "BoolIfExists") and \
                [v.lower() for v in values] == ["false"]:
            continue
        return False
    return True


def covers_objects(statement: dict[str, Any]) -> bool:
    return any(r == "*" or r.endswith("/*") for r in statement_list(statement, "Resource"))


class DataLakeDeniesOutsidePrincipals(BaseResourceCheck):
    def __init__(self) -> None:
        super().__init__(
            name="Data-lake bucket policies deny object reads/writes to every principal outside the granted set",
            id="CKV_ZTAI_012",
            categories=[CheckCategories.IAM],
            supported_resources=["aws_s3_bucket_policy"],
        )

    def scan_resource_conf(self, conf: dict[str, Any]) -> CheckResult:
        if not under(conf, "data_lake"):
            return CheckResult.UNKNOWN  # not applicable: only data-lake buckets carry this deny
        self.evaluated_keys = ["policy"]
        statements = policy_statements(conf)
        if statements is None:
            return CheckResult.UNKNOWN
        denied: set[str] = set()
        for statement in statements:
            if statement.get("Effect") == "Deny" and "NotPrincipal" not in statement and is_everyone(statement) \
                    and covers_objects(statement) and only_excludes_granted_principals(statement):
                denied |= granted_actions(statement, OBJECT_ACTIONS)
        return CheckResult.PASSED if denied == set(OBJECT_ACTIONS) else CheckResult.FAILED


check = DataLakeDeniesOutsidePrincipals()
