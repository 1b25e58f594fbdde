"""Helpers of the per-construct tests: one throwaway stack per test, synthesized alone (never the environments).

No ``__init__.py`` in this folder on purpose: ``tests/`` has none, so a package here would be importable as
``constructs`` and shadow the library cdktf imports (aws-cdk#19301).
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from typing import Any

from cdktf import App, TerraformStack, Testing
from cdktf_cdktf_provider_aws.provider import AwsProvider
from constructs import Construct

ACCOUNT = "111122223333"
REGION = "eu-west-1"


def synth(build: Callable[[Construct], object]) -> dict[str, Any]:
    """Build constructs into a fresh stack and return its synthesized JSON (policies parsed)."""
    app = Testing.app()
    stack = TerraformStack(app, "test")
    AwsProvider(stack, "aws", region=REGION)
    build(stack)
    return json.loads(Testing.synth(stack))


def new_stack() -> TerraformStack:
    stack = TerraformStack(App(), "test")
    AwsProvider(stack, "aws", region=REGION)
    return stack


def resources(synthesized: dict[str, Any], kind: str) -> list[dict[str, Any]]:
    return list(synthesized.get("resource", {}).get(kind, {}).values())


def one(synthesized: dict[str, Any], kind: str) -> dict[str, Any]:
    found = resources(synthesized, kind)
    assert len(found) == 1, f"{kind}: {len(found)}"
    return found[0]


def policy(body: dict[str, Any], key: str = "policy") -> dict[str, Any]:
    value = body[key]
    return json.loads(value) if isinstance(value, str) else value


def statements(document: dict[str, Any]) -> Iterator[dict[str, Any]]:
    found = document["Statement"]
    yield from (found if isinstance(found, list) else [found])


def by_sid(document: dict[str, Any], sid: str) -> dict[str, Any]:
    matches = [s for s in statements(document) if s.get("Sid") == sid]
    assert matches, f"no statement {sid}; have {[s.get('Sid') for s in statements(document)]}"
    return matches[0]


def as_list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else [value]
