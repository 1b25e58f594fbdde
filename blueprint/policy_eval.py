"""A small, explicit IAM policy evaluator for the red-team drill.

It implements the parts of AWS's evaluation logic the platform's policies use: explicit Deny wins over
any Allow; an action is allowed when an identity policy (within the permissions boundary, if any) or a
resource policy naming the caller allows it; otherwise it is implicitly denied. Conditions supported:
Bool(IfExists), String(Not)Equals(IfExists), StringLike, ArnLike/ArnEquals, NumericLessThan(Equals),
Null, ForAnyValue:StringNotEquals. Anything else is treated as *not matching* for Allow and *matching*
for Deny (fail closed), and reported.
"""

from __future__ import annotations

import fnmatch
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any


@dataclass(frozen=True)
class Request:
    principal_arn: str
    action: str
    resource: str
    context: Mapping[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class Decision:
    allowed: bool
    reason: str


def _as_list(value: Any) -> list[Any]:
    if value is None:
        return []
    return list(value) if isinstance(value, list) else [value]


def _match(pattern: str, value: str) -> bool:
    return fnmatch.fnmatchcase(value, pattern.replace("?", "[?]") if "?" in pattern else pattern) or (pattern == value)


def _number(value: Any) -> float | None:
    try:
        return float(value)
    except (TypeError, ValueError):
        return None


def _date(value: Any) -> datetime | None:
    try:
        return datetime.fromisoformat(str(value).replace("Z", "+00:00"))
    except ValueError:
        return None


def _condition_holds(operator: str, values: Mapping[str, Any], context: Mapping[str, Any], unknown: list[str]) -> bool:
    if_exists = operator.endswith("IfExists")
    base = operator.removesuffix("IfExists")
    for key, expected in values.items():
        present = key in context
        actual = context.get(key)
        expected_list = [str(e) for e in _as_list(expected)]
        if base == "Null":
            if (str(expected).lower() == "true") != (not present):
                return False
            continue
        if not present:
            if if_exists:
                continue
            if base.startswith(("StringNot", "ArnNot")) or base.startswith("ForAnyValue"):
                return base.startswith("StringNot")  # a missing key is "not equal"
            return False
        actual_list = [str(a) for a in _as_list(actual)]
        if base == "Bool":
            ok = any(a.lower() == e.lower() for a in actual_list for e in expected_list)
        elif base == "StringEquals":
            ok = any(a == e for a in actual_list for e in expected_list)
        elif base == "StringNotEquals":
            ok = all(a != e for a in actual_list for e in expected_list)
        elif base in ("StringLike", "ArnLike", "ArnEquals"):
            ok = any(_match(e, a) for a in actual_list for e in expected_list)
        elif base == "ForAnyValue:StringNotEquals":
            ok = any(a not in expected_list for a in actual_list)
        elif base in ("DateLessThan", "DateGreaterThan"):
            moment, moments = _date(actual), [_date(e) for e in expected_list]
            ok = moment is not None and any(
                bound is not None and (moment < bound if base == "DateLessThan" else moment > bound)
                for bound in moments
            )
        elif base in ("NumericLessThan", "NumericLessThanEquals"):
            number = _number(actual)
            limits = [_number(e) for e in expected_list]
            ok = number is not None and any(
                limit is not None and (number < limit if base == "NumericLessThan" else number <= limit)
                for limit in limits
            )
        else:
            unknown.append(operator)
            return False
        if not ok:
            return False
    return True


def _statement_applies(
    statement: Mapping[str, Any], request: Request, *, resource_policy: bool, unknown: list[str]
) -> bool:
    actions = _as_list(statement.get("Action"))
    not_actions = _as_list(statement.get("NotAction"))
    if actions and not any(_match(a, request.action) for a in actions):
        return False
    if not_actions and any(_match(a, request.action) for a in not_actions):
        return False
    resources = _as_list(statement.get("Resource", "*"))
    if not any(_match(r, request.resource) for r in resources):
        return False
    if resource_policy:
        principal = statement.get("Principal", {})
        allowed = _as_list(principal.get("AWS")) if isinstance(principal, dict) else _as_list(principal)
        if not any(p == "*" or p == request.principal_arn for p in allowed):
            return False
    conditions = statement.get("Condition", {})
    if statement.get("Effect") == "Deny":
        # fail closed: a Deny whose condition cannot be evaluated is treated as applying
        local_unknown: list[str] = []
        holds = all(_condition_holds(op, vals, request.context, local_unknown) for op, vals in conditions.items())
        unknown.extend(local_unknown)
        return holds or bool(local_unknown)
    return all(_condition_holds(op, vals, request.context, unknown) for op, vals in conditions.items())


def evaluate(
    request: Request,
    *,
    identity_policies: Sequence[Mapping[str, Any]],
    resource_policies: Sequence[Mapping[str, Any]] = (),
    boundary: Mapping[str, Any] | None = None,
) -> Decision:
    unknown: list[str] = []

    def statements(document: Mapping[str, Any]) -> list[Mapping[str, Any]]:
        return list(_as_list(document.get("Statement")))

    for document, is_resource in (
        [(d, False) for d in identity_policies]
        + [(d, True) for d in resource_policies]
        + ([(boundary, False)] if boundary else [])
    ):
        for statement in statements(document):
            if statement.get("Effect") == "Deny" and _statement_applies(
                statement, request, resource_policy=is_resource, unknown=unknown
            ):
                return Decision(False, f"explicit Deny {statement.get('Sid', '(no sid)')}")
    if boundary is not None and not any(
        s.get("Effect") == "Allow" and _statement_applies(s, request, resource_policy=False, unknown=unknown)
        for s in statements(boundary)
    ):
        return Decision(False, "outside the permissions boundary")
    for document in identity_policies:
        for statement in statements(document):
            if statement.get("Effect") == "Allow" and _statement_applies(
                statement, request, resource_policy=False, unknown=unknown
            ):
                return Decision(True, f"allowed by identity policy {statement.get('Sid', '')}")
    for document in resource_policies:
        for statement in statements(document):
            if statement.get("Effect") == "Allow" and _statement_applies(
                statement, request, resource_policy=True, unknown=unknown
            ):
                return Decision(True, f"allowed by resource policy {statement.get('Sid', '')}")
    suffix = f" (unevaluated condition operators: {sorted(set(unknown))})" if unknown else ""
    return Decision(False, "implicit deny: no statement allows it" + suffix)
