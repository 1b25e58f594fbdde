"""Load ``cdktf_cdktf_provider_aws`` without its 2,135 eager submodule imports.

Why: the prebuilt provider's root ``__init__`` ends with one ``from . import <service>`` line per
resource type, so importing *one* resource imports *all* of them (~15 s and ~0.9 GB on a 2-core
machine; see ``docs/performance.md``). ``cdktf get`` removes the same lines from locally generated
bindings; this module gets the same effect for the prebuilt package without touching site-packages:

* a :class:`importlib.abc.MetaPathFinder` placed first on ``sys.meta_path`` finds the real package spec
  and swaps in :class:`_LazyProviderLoader`;
* the loader executes the package's own source minus the ``from . import x`` lines (compiled with the
  original file name so tracebacks stay true), then gives the public module a PEP 562 ``__getattr__``
  so ``cdktf_cdktf_provider_aws.s3_bucket`` still works as an attribute and imports on first touch.

``from cdktf_cdktf_provider_aws.s3_bucket import S3Bucket`` imports exactly that submodule, which
registers its jsii types exactly as before. Equivalence is proven by a test that synthesizes every
environment with and without the hook and compares the bytes.
"""

from __future__ import annotations

import importlib
import importlib.abc
import importlib.machinery
import re
import sys
import types
from collections.abc import Sequence

PROVIDER_PACKAGE = "cdktf_cdktf_provider_aws"

# Exactly the eager lines: `from . import name` at column 0. Anything else in the file is kept.
_EAGER_SUBMODULE_IMPORT = re.compile(r"^from \. import [A-Za-z_][A-Za-z0-9_]*[ \t]*$", re.MULTILINE)


class _LazyProviderLoader(importlib.abc.Loader):
    def __init__(self, wrapped: importlib.machinery.SourceFileLoader) -> None:
        self._wrapped = wrapped

    def create_module(self, spec: importlib.machinery.ModuleSpec) -> types.ModuleType | None:
        return None  # default module creation

    def exec_module(self, module: types.ModuleType) -> None:
        path = self._wrapped.get_filename(module.__name__)
        source = self._wrapped.get_data(path).decode("utf-8")
        stripped, removed = _EAGER_SUBMODULE_IMPORT.subn("", source)
        if removed == 0:
            # The package layout changed (new provider release?): fall back to the normal path
            # rather than guess.
            self._wrapped.exec_module(module)
            return
        exec(compile(stripped, path, "exec"), module.__dict__)
        # `publication.publish()` at the end of the file replaced sys.modules[name] with a public
        # facade; give that facade lazy attribute access to the submodules.
        public = sys.modules[module.__name__]
        package_name = module.__name__
        submodule_names = frozenset(getattr(public, "__all__", ()))

        def __getattr__(name: str) -> types.ModuleType:
            if name in submodule_names:
                return importlib.import_module(f"{package_name}.{name}")
            raise AttributeError(f"module {package_name!r} has no attribute {name!r}")

        public.__getattr__ = __getattr__  # type: ignore[method-assign]
        public.__dict__["_ztai_lazy_submodules"] = removed


class _LazyProviderFinder(importlib.abc.MetaPathFinder):
    def find_spec(
        self,
        fullname: str,
        path: Sequence[str] | None,
        target: types.ModuleType | None = None,
    ) -> importlib.machinery.ModuleSpec | None:
        if fullname != PROVIDER_PACKAGE:
            return None
        spec = importlib.machinery.PathFinder.find_spec(fullname, path)
        if spec is None or not isinstance(spec.loader, importlib.machinery.SourceFileLoader):
            return spec
        spec.loader = _LazyProviderLoader(spec.loader)
        return spec


def install() -> bool:
    """Install the hook. Returns False when the provider package is already imported (too late)."""
    if PROVIDER_PACKAGE in sys.modules:
        return bool(getattr(sys.modules[PROVIDER_PACKAGE], "_ztai_lazy_submodules", 0))
    if not any(isinstance(finder, _LazyProviderFinder) for finder in sys.meta_path):
        sys.meta_path.insert(0, _LazyProviderFinder())
    return True


def is_active() -> bool:
    """True when the provider package was loaded through the hook."""
    module = sys.modules.get(PROVIDER_PACKAGE)
    return bool(module is not None and getattr(module, "_ztai_lazy_submodules", 0))
