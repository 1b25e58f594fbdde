"""Helpers shared by the AI-platform checks (checkov passes attribute values wrapped in lists)."""

from __future__ import annotations

import json
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
    statements = document.get("Statement", [])
    return statements if isinstance(statements, list) else [statements]


def as_list(value: Any) -> list[Any]:
    if value is None:
        return []
    return value if isinstance(value, list) else [value]
