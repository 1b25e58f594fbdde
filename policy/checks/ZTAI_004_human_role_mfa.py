"""ZTAI_004: people reach a role only through a path AWS really supports, with MFA that AWS can see.

* Federated (SAML) trust: ``sts:AssumeRoleWithSAML`` only with ``SAML:aud`` and a required source identity
  (``Null sts:SourceIdentity = false``); the IdP enforces MFA (its session tag is required by the boundary).
* An ``AWS`` principal (an IAM user with an MFA device, e.g. a break-glass user): ``aws:MultiFactorAuthPresent`` =
  true and an ``aws:MultiFactorAuthAge`` bound, which STS sets only for IAM users who pass their MFA device.
* A role tagged ``ztai:kind = human`` must have a trust statement for people at all.
"""

from __future__ import annotations

from typing import Any

from _common import policy_statements  # type: ignore[import-not-found]
from checkov.common.models.enums import CheckCategories, CheckResult
from checkov.terraform.checks.resource.base_resource_check import BaseResourceCheck


def _first(value: Any) -> Any:
    return value[0] if isinstance(value, list) and len(value) == 1 else value


def _actions(statement: dict[str, Any]) -> set[str]:
    value = statement.get("Action", [])
    return {str(a).lower() for a in (value if isinstance(value, list) else [value])}


def _saml_ok(statement: dict[str, Any]) -> bool:
    condition = statement.get("Condition", {}) or {}
    audience = {k.lower(): v for k, v in (condition.get("StringEquals", {}) or {}).items()}.get("saml:aud")
    source = (condition.get("Null", {}) or {}).get("sts:SourceIdentity")
    return bool(audience) and str(source).lower() == "false"


def _mfa_ok(statement: dict[str, Any]) -> bool:
    condition = statement.get("Condition", {}) or {}
    present = (condition.get("Bool", {}) or {}).get("aws:MultiFactorAuthPresent") in ("true", True)
    fresh = "aws:MultiFactorAuthAge" in (condition.get("NumericLessThan", {}) or {}) or \
        "aws:MultiFactorAuthAge" in (condition.get("NumericLessThanEquals", {}) or {})
    return present and fresh


class HumanRoleRequiresSupportedMfa(BaseResourceCheck):
    def __init__(self) -> None:
        super().__init__(
            name="Roles for people: SAML with SAML:aud and a source identity, or AWS principals with MFA present+age",
            id="CKV_ZTAI_004",
            categories=[CheckCategories.IAM],
            supported_resources=["aws_iam_role"],
        )

    def scan_resource_conf(self, conf: dict[str, Any]) -> CheckResult:
        statements = policy_statements(conf, "assume_role_policy")
        tags = _first(conf.get("tags")) or {}
        human = isinstance(tags, dict) and tags.get("ztai:kind") == "human"
        if statements is None:
            return CheckResult.FAILED if human else CheckResult.UNKNOWN
        allows = [s for s in statements if s.get("Effect") == "Allow"]
        people = [s for s in allows if {"AWS", "Federated"} & set(s.get("Principal") or {})]
        if not people:
            # a service role is out of scope; a human role nobody can assume is a broken human role
            return CheckResult.FAILED if human else CheckResult.UNKNOWN
        for statement in people:
            principal = statement.get("Principal") or {}
            actions = _actions(statement)
            if "AWS" in principal and not _mfa_ok(statement):
                return CheckResult.FAILED
            if "Federated" in principal and "sts:assumerolewithsaml" in actions and not _saml_ok(statement):
                return CheckResult.FAILED
            if "Federated" in principal and actions & {"sts:assumerolewithwebidentity", "sts:*", "*"}:
                return CheckResult.FAILED  # web identity / wildcard: no supported MFA signal here
        return CheckResult.PASSED


check = HumanRoleRequiresSupportedMfa()
