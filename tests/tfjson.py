"""Helpers to query a synthesized cdk.tf.json (resources by type, policies as parsed JSON)."""

from __future__ import annotations

import json
import re
from typing import Any

from stacks.paths import below_root

REF = re.compile(r"\$\{(aws_[a-z0-9_]+)\.([A-Za-z0-9_]+)\.([a-z_]+)\}")


def resources(stack: dict[str, Any], type_name: str) -> dict[str, dict[str, Any]]:
    return dict(stack.get("resource", {}).get(type_name, {}))


def path_of(body: dict[str, Any]) -> str:
    """The construct path below the stack and the platform construct: ``data_lake/raw/bucket``."""
    return below_root(str(body["//"]["metadata"]["path"]))


def by_path(stack: dict[str, Any], type_name: str) -> dict[str, dict[str, Any]]:
    return {path_of(body): body for body in resources(stack, type_name).values()}


def ref(expression: str) -> tuple[str, str, str] | None:
    match = REF.fullmatch(expression) if isinstance(expression, str) else None
    return (match.group(1), match.group(2), match.group(3)) if match else None


def target(stack: dict[str, Any], expression: str) -> dict[str, Any]:
    """The resource a `${type.id.attr}` reference points at."""
    parsed = ref(expression)
    assert parsed, f"not a reference: {expression!r}"
    return stack["resource"][parsed[0]][parsed[1]]


def policy(document: str) -> dict[str, Any]:
    return dict(json.loads(document))


def statements(document: str) -> list[dict[str, Any]]:
    return list(policy(document)["Statement"])


def as_list(value: Any) -> list[Any]:
    if value is None:
        return []
    return list(value) if isinstance(value, list) else [value]


def bucket_of(stack: dict[str, Any], path: str) -> dict[str, Any]:
    return by_path(stack, "aws_s3_bucket")[path]


def logical_id(stack: dict[str, Any], type_name: str, path: str) -> str:
    for logical, body in resources(stack, type_name).items():
        if path_of(body) == path:
            return logical
    raise KeyError(path)


EGRESS_PATH = "model_egress/"  # ZeroTrustAiPlatform's ModelEgress (serving.model_apis.external)


def egress_built(stack: dict[str, Any]) -> bool:
    """Whether the stack has the external-model-API egress path (ModelEgress composed by the platform)."""
    return any(path.startswith(EGRESS_PATH) for path in by_path(stack, "aws_networkfirewall_firewall"))


def dns_forms(domains: list[str]) -> list[str]:
    """Network Firewall domain-list entries as DNS Firewall names: ``.example.com`` -> example.com, *.example.com."""
    forms: set[str] = set()
    for domain in domains:
        forms |= {domain[1:], f"*{domain}"} if domain.startswith(".") else {domain}
    return sorted(forms)
