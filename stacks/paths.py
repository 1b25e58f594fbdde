"""Where a construct sits in the synthesized output: ``<stack>/platform/<tier>/...`` for an environment stack,
``<stack>/<construct>/...`` for the organization stacks. The toolkit and the tests name constructs by the part below
that root (``data_lake/raw/bucket``), the same in every environment."""

from __future__ import annotations

from typing import Any

# The id of the ZeroTrustAiPlatform construct in every environment stack (stacks/platform_stack.py).
PLATFORM_ID = "platform"


def below_root(metadata_path: str) -> str:
    """``dev/platform/data_lake/raw/bucket`` -> ``data_lake/raw/bucket`` (a cdktf ``//`` metadata path)."""
    _stack, _, rest = metadata_path.partition("/")
    return rest.removeprefix(f"{PLATFORM_ID}/")


def is_platform_stack(stack: dict[str, Any]) -> bool:
    """An environment stack (a synthesized ``cdk.tf.json``): its resources sit below the platform construct. The
    organization stacks have none there -- no workloads, no flows, none of the platform's controls."""
    paths = (str(body.get("//", {}).get("metadata", {}).get("path", ""))
             for bodies in stack.get("resource", {}).values() for body in bodies.values())
    return any(path.split("/")[1:2] == [PLATFORM_ID] for path in paths)
