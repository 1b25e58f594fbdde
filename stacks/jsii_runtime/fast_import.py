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

Memoized reads (fewer jsii round trips per resource). Every read of a resource attribute such as
``bucket.arn`` is one request to the jsii kernel, which answers with a *new* token string
(``${TfToken[TOKEN.n]}``) that resolves, at synthesis, to the same reference
(``${aws_s3_bucket.x.arn}``). The platform reads the same attributes again and again (about 800 reads of
about 220 distinct attributes per environment), so the submodules loaded through the hook keep the first
answer per object and attribute:

* on resource and data-source classes of the provider (subclasses of ``TerraformResource`` /
  ``TerraformDataSource``), the properties the generated class itself declares, except the ``*_input``
  ones: their JavaScript getters return a reference to the attribute (or the block's output-reference
  object, created once with the resource) whatever was set, so the first answer stays right; a write
  through the property's setter drops the kept answer all the same;
* ``constructs.Construct.node`` (read-only, the same object for the construct's life).

The one visible difference: two reads of one attribute now return the same token string, where the
naive path returns two different strings that resolve the same; the synthesized output is byte-identical
(proven by the same test).
"""

from __future__ import annotations

import functools
import importlib
import importlib.abc
import importlib.machinery
import re
import sys
import types
from collections.abc import Callable, Sequence
from typing import Any

PROVIDER_PACKAGE = "cdktf_cdktf_provider_aws"

# Exactly the eager lines: `from . import name` at column 0. Anything else in the file is kept.
_EAGER_SUBMODULE_IMPORT = re.compile(r"^from \. import [A-Za-z_][A-Za-z0-9_]*[ \t]*$", re.MULTILINE)


_READS = "_ztai_memoized_reads"  # per-instance dict: property name -> first answer
_MEMOIZED = "__ztai_memoized__"  # marks a memoized getter (idempotence)


def _memoized(name: str, member: property) -> property:
    """``member`` with its first answer per instance kept; its setter (if any) drops the kept answer."""
    getter: Callable[[Any], Any] = member.fget  # type: ignore[assignment]
    if getattr(getter, _MEMOIZED, False):
        return member

    @functools.wraps(getter)  # keeps __jsii_name__
    def read(self: Any) -> Any:
        reads = self.__dict__.setdefault(_READS, {})
        try:
            return reads[name]
        except KeyError:
            value = reads[name] = getter(self)
            return value

    setattr(read, _MEMOIZED, True)
    write = None
    if member.fset is not None:
        setter: Callable[[Any, Any], None] = member.fset

        @functools.wraps(setter)
        def write(self: Any, value: Any) -> None:
            setter(self, value)
            self.__dict__.get(_READS, {}).pop(name, None)

    return property(read, write, member.fdel, member.__doc__)


def memoize_resource_reads(module: types.ModuleType) -> int:
    """Memoize the attribute reads of the provider resource/data-source classes in ``module``. Returns how many."""
    cdktf = sys.modules.get("cdktf")
    if cdktf is None:
        return 0
    bases = (cdktf.TerraformResource, cdktf.TerraformDataSource)
    count = 0
    for cls in list(vars(module).values()):
        if not (isinstance(cls, type) and cls.__module__ == module.__name__ and issubclass(cls, bases)):
            continue
        for name, member in list(vars(cls).items()):
            if isinstance(member, property) and member.fget is not None and not name.endswith("_input"):
                setattr(cls, name, _memoized(name, member))
                count += 1
    return count


def memoize_construct_node() -> bool:
    """Memoize ``constructs.Construct.node`` (read-only). False when ``constructs`` is not importable."""
    try:
        from constructs import Construct
    except ImportError:
        return False
    member = vars(Construct).get("node")
    if not isinstance(member, property) or member.fset is not None:
        return False  # not the layout this was written for: leave it alone
    Construct.node = _memoized("node", member)  # type: ignore[method-assign,assignment]
    return True


class _MemoizingSubmoduleLoader(importlib.abc.Loader):
    """Loads a provider submodule normally, then memoizes its resource classes' attribute reads."""

    def __init__(self, wrapped: importlib.abc.Loader) -> None:
        self._wrapped = wrapped

    def create_module(self, spec: importlib.machinery.ModuleSpec) -> types.ModuleType | None:
        return self._wrapped.create_module(spec)

    def exec_module(self, module: types.ModuleType) -> None:
        self._wrapped.exec_module(module)
        memoize_resource_reads(module)

    def __getattr__(self, name: str) -> Any:  # get_source, get_filename, ... of the real loader
        return getattr(self._wrapped, name)


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
        package, _, submodule = fullname.partition(".")
        if package != PROVIDER_PACKAGE or "." in submodule or submodule.startswith("_"):
            return None
        spec = importlib.machinery.PathFinder.find_spec(fullname, path)
        if spec is None or spec.loader is None:
            return spec
        if not submodule:
            if isinstance(spec.loader, importlib.machinery.SourceFileLoader):
                spec.loader = _LazyProviderLoader(spec.loader)
        else:
            spec.loader = _MemoizingSubmoduleLoader(spec.loader)
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
