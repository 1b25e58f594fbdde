"""PlatformConstruct: the base of every construct in this library.

It records, in Python, the construct's path and the source file that defines it in the enclosing
stack's ``construct_index``. Tooling (the policy gate's finding-to-construct mapping) reads that index
without one jsii round trip per construct, which keeps synthesis fast.
"""

from __future__ import annotations

import functools
import sys
from pathlib import Path
from typing import Any, ClassVar

from constructs import Construct

_ROOT = Path(__file__).resolve().parents[2]


@functools.cache
def source_of(cls: type) -> str:
    """The defining file of ``cls`` relative to the project root (``<module>`` for library code)."""
    module = sys.modules.get(cls.__module__)
    filename = getattr(module, "__file__", None)
    if not filename:
        return f"<{cls.__module__}>"
    try:
        return str(Path(filename).resolve().relative_to(_ROOT))
    except ValueError:
        return f"<{cls.__module__}>"


class PlatformConstruct(Construct):
    """A construct that knows its own path without asking jsii."""

    construct_path: str
    construct_index: dict[str, dict[str, str]]
    # The path below the nearest composition root (a stack, or a construct that sets ``composition_root``, such as
    # ZeroTrustAiPlatform): names derived from it (policy Sids) do not change when the composition moves.
    relative_path: str
    composition_root: ClassVar[bool] = False

    def __init__(self, scope: Construct, id: str) -> None:
        super().__init__(scope, id)
        parent: Any = scope
        parent_path = getattr(parent, "construct_path", None)
        if parent_path is None:
            parent_path = scope.node.path  # a foreign scope: one jsii call
        self.construct_path = f"{parent_path}/{id}" if parent_path else id
        parent_relative = getattr(parent, "relative_path", None)
        self.relative_path = (id if parent_relative is None or getattr(parent, "composition_root", False)
                              else f"{parent_relative}/{id}")
        index = getattr(parent, "construct_index", None)
        if index is None:
            index = _index_of_foreign_stack(scope)
        self.construct_index = index
        cls = type(self)
        index[self.construct_path] = {"class": f"{cls.__module__}.{cls.__qualname__}", "source": source_of(cls)}


def _index_of_foreign_stack(scope: Construct) -> dict[str, dict[str, str]]:
    """The index of a stack this library did not create (a user's own ``TerraformStack``): kept on the stack, so
    every construct placed in it -- at any depth, in any order -- records into the same index instead of starting a
    new one. Costs one jsii call, only for a construct whose parent is not a PlatformConstruct."""
    from cdktf import TerraformStack

    stack: Any = TerraformStack.of(scope)
    index = getattr(stack, "construct_index", None)
    if index is None:
        stack_class: type = type(stack)
        index = {stack.node.path: {"class": f"{stack_class.__module__}.{stack_class.__qualname__}",
                                   "source": source_of(stack_class)}}
        stack.construct_index = index
        if getattr(stack, "construct_path", None) is None:
            stack.construct_path = stack.node.path
    return index
