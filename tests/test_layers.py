"""Imports point one way: toolkit (``blueprint``) -> app (``main.py``, ``stacks``) -> library (``zero_trust_ai``).

Every import is read from the source (module level and inside functions, plus ``importlib.import_module("...")``
with a literal name), so a lazy import cannot hide a wrong-way arrow.
"""

from __future__ import annotations

import ast
import sys
from pathlib import Path

import pytest

PROJECT_ROOT = Path(__file__).resolve().parent.parent
LIBRARY = PROJECT_ROOT / "constructs" / "zero_trust_ai"
RUNTIME = LIBRARY / "runtime"

# Which top-level packages each layer must never import.
FORBIDDEN = {
    "library": {"blueprint", "stacks", "tests", "main"},
    "app": {"blueprint", "tests"},
}
# The code that runs inside the platform is deployed without the synthesis stack.
SYNTH_ONLY = {"cdktf", "cdktf_cdktf_provider_aws", "constructs", "jsii"}
# A Lambda handler is zipped alone: the standard library and what the Lambda Python runtime provides.
HANDLER_ALLOWED = set(sys.stdlib_module_names) | {"boto3", "botocore"}


def imported_modules(path: Path) -> list[tuple[int, str]]:
    """(line, dotted module) for every import in ``path``; relative imports are resolved against its package."""
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    found: list[tuple[int, str]] = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found.extend((node.lineno, alias.name) for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                found.append((node.lineno, f"<relative:{node.module or ''}>"))
            elif node.module:
                found.append((node.lineno, node.module))
        elif (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute)
              and node.func.attr == "import_module" and node.args and isinstance(node.args[0], ast.Constant)
              and isinstance(node.args[0].value, str)):
            found.append((node.lineno, node.args[0].value))
    return found


def sources(layer: str) -> list[Path]:
    if layer == "library":
        return sorted(LIBRARY.rglob("*.py"))
    if layer == "app":
        return [PROJECT_ROOT / "main.py", *sorted((PROJECT_ROOT / "stacks").rglob("*.py"))]
    return sorted((PROJECT_ROOT / "blueprint").rglob("*.py"))


def test_every_layer_has_sources() -> None:
    for layer in ("library", "app", "toolkit"):
        assert len(sources(layer)) >= 5, layer


@pytest.mark.parametrize("layer", sorted(FORBIDDEN))
def test_no_import_runs_against_the_layers(layer: str) -> None:
    wrong = [f"{path.relative_to(PROJECT_ROOT)}:{line}: imports {module}"
             for path in sources(layer) for line, module in imported_modules(path)
             if module.split(".")[0] in FORBIDDEN[layer]]
    assert not wrong, "\n".join(wrong)


def test_the_in_platform_runtime_never_imports_the_synthesis_stack() -> None:
    wrong = [f"{path.relative_to(PROJECT_ROOT)}:{line}: imports {module}"
             for path in sorted(RUNTIME.rglob("*.py")) for line, module in imported_modules(path)
             if module.split(".")[0] in SYNTH_ONLY]
    assert not wrong, "\n".join(wrong)


def test_lambda_handlers_stand_alone() -> None:
    handlers = sorted(RUNTIME.rglob("handler.py"))
    assert len(handlers) >= 2
    wrong = [f"{path.relative_to(PROJECT_ROOT)}:{line}: imports {module}"
             for path in handlers for line, module in imported_modules(path)
             if module.split(".")[0] not in HANDLER_ALLOWED]
    assert not wrong, "a handler is zipped alone; it can import only the standard library and boto3:\n" + "\n".join(
        wrong)


def test_the_checker_sees_lazy_and_dynamic_imports(tmp_path: Path) -> None:
    probe = tmp_path / "probe.py"
    probe.write_text("import importlib\n\ndef f():\n    from blueprint.drill import platform\n"
                     "    importlib.import_module('stacks.app')\n", encoding="utf-8")
    modules = [module for _, module in imported_modules(probe)]
    assert modules == ["importlib", "blueprint.drill", "stacks.app"]
