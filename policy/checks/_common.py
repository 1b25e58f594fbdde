"""Helpers shared by the AI-platform checks (checkov passes attribute values wrapped in lists).

The gate scans every stack in two renderings (blueprint/gate/runner.py): the synthesized terraform JSON, where a
policy attribute is a JSON string, and a static plan, where checkov has already decoded it into an object.
Nested blocks and metadata arrive as lists of dicts in both. These helpers read either shape.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from typing import Any


def first(conf: dict[str, Any], key: str, default: Any = None) -> Any:
    value = conf.get(key, default)
    if isinstance(value, list):
        return value[0] if value else default
    return value


def policy_statements(conf: dict[str, Any], key: str = "policy") -> list[dict[str, Any]] | None:
    """Parsed statements of a JSON policy attribute, or None when it cannot be read statically."""
    raw = first(conf, key)
    if isinstance(raw, dict):
        document = raw
    elif isinstance(raw, str):
        try:
            document = json.loads(raw)
        except ValueError:
            return None
    else:
        return None
    if not isinstance(document, dict):
        return None
    statements = document.get("Statement", [])
    statements = statements if isinstance(statements, list) else [statements]
    return [s for s in statements if isinstance(s, dict)]


def as_list(value: Any) -> list[Any]:
    if value is None:
        return []
    return value if isinstance(value, list) else [value]


def blocks(conf: dict[str, Any], key: str) -> list[dict[str, Any]]:
    """Every nested block under ``key`` (checkov passes repeated blocks as a list of dicts)."""
    found: list[dict[str, Any]] = []
    for item in as_list(conf.get(key)):
        if isinstance(item, dict):
            found.append(item)
        elif isinstance(item, list):
            found += [inner for inner in item if isinstance(inner, dict)]
    return found


def construct_path(conf: dict[str, Any]) -> str:
    """The cdktf construct path from the ``//`` metadata (``<env>/platform/data_lake/raw/policy``), or ''."""
    meta = first(conf, "//") or {}
    metadata = first(meta, "metadata") if isinstance(meta, dict) else None
    path = first(metadata, "path") if isinstance(metadata, dict) else None
    return path if isinstance(path, str) else ""


# The id of the platform construct in the app's environment stacks (stacks/paths.py; checkov runs in its own
# virtualenv, which cannot import the app).
PLATFORM_ID = "platform"


def under(conf: dict[str, Any], component: str) -> bool:
    """True when the resource's construct path below the stack (and the platform construct) starts with
    ``component``: ``dev/platform/data_lake/raw/policy`` is under ``data_lake``."""
    parts = construct_path(conf).split("/")[1:]
    if parts and parts[0] == PLATFORM_ID:
        parts = parts[1:]
    return bool(parts) and parts[0] == component


def statement_list(statement: dict[str, Any], key: str) -> list[str]:
    return [str(v) for v in as_list(statement.get(key))]


def iam_pattern(pattern: str) -> re.Pattern[str]:
    """An IAM wildcard (``*`` and ``?``, case-insensitive) as a regular expression."""
    return re.compile("".join(".*" if c == "*" else "." if c == "?" else re.escape(c) for c in pattern) + r"\Z",
                      re.IGNORECASE)


def granted_actions(statement: dict[str, Any], candidates: tuple[str, ...]) -> set[str]:
    """The ``candidates`` the statement's Action (or NotAction) covers."""
    if "NotAction" in statement:
        excluded = [iam_pattern(p) for p in statement_list(statement, "NotAction")]
        return {a for a in candidates if not any(p.match(a) for p in excluded)}
    patterns = [iam_pattern(p) for p in statement_list(statement, "Action")]
    return {a for a in candidates if any(p.match(a) for p in patterns)}


def principals(statement: dict[str, Any]) -> list[str]:
    """The statement's principals as strings; an Allow with NotPrincipal is everyone ("*")."""
    if "NotPrincipal" in statement:
        return ["*"]
    principal = statement.get("Principal")
    if isinstance(principal, str):
        return [principal]
    if isinstance(principal, dict):
        return [str(v) for values in principal.values() for v in as_list(values)]
    return []


def is_everyone(statement: dict[str, Any]) -> bool:
    principal = statement.get("Principal")
    if "NotPrincipal" in statement:
        return True
    if principal == "*":
        return True
    return isinstance(principal, dict) and "*" in [str(v) for v in as_list(principal.get("AWS"))]


def conditions(statement: dict[str, Any]) -> Iterator[tuple[str, str, list[str]]]:
    """(operator, condition key in lower case, values) of every condition of the statement."""
    block = statement.get("Condition")
    if not isinstance(block, dict):
        return
    for operator, entries in block.items():
        if not isinstance(entries, dict):
            continue
        for key, values in entries.items():
            yield str(operator), str(key).lower(), [str(v) for v in as_list(values)]


POSITIVE_OPERATORS = frozenset({"StringEquals", "StringLike", "ArnEquals", "ArnLike", "StringEqualsIgnoreCase",
                                "ForAnyValue:StringEquals", "ForAnyValue:StringLike"})


def bound_by(statement: dict[str, Any], key: str) -> bool:
    """The statement has a positive (not negated, not IfExists) condition on ``key`` with concrete values."""
    return any(operator in POSITIVE_OPERATORS and name == key.lower() and values and "*" not in values
               for operator, name, values in conditions(statement))
