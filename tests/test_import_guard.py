"""`constructs/` must never shadow the `constructs` library that cdktf imports (aws-cdk#19301)."""

from __future__ import annotations

import os
import subprocess
import sys
import tomllib
from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parent.parent


def test_constructs_folder_is_not_a_package() -> None:
    assert not (PROJECT_ROOT / "constructs" / "__init__.py").exists()
    assert (PROJECT_ROOT / "constructs" / "zero_trust_ai" / "__init__.py").exists()


def test_import_constructs_gives_the_library_even_from_the_project_root() -> None:
    # Run from the project root with it first on sys.path -- the situation in which a local
    # `constructs/` package would win.
    code = (
        "import sys; sys.path.insert(0, '.'); sys.path.insert(0, 'constructs');"
        "import constructs, zero_trust_ai;"
        "print(constructs.__file__); print(hasattr(constructs, 'Construct')); print(zero_trust_ai.__file__)"
    )
    result = subprocess.run([sys.executable, "-c", code], cwd=PROJECT_ROOT, capture_output=True, text=True,
                            check=True)
    library_file, has_construct, package_file = result.stdout.split()
    assert "site-packages" in library_file and library_file.endswith("constructs/__init__.py")
    assert has_construct == "True"
    assert Path(package_file) == PROJECT_ROOT / "constructs" / "zero_trust_ai" / "__init__.py"


def test_cdktf_sees_the_same_constructs_library() -> None:
    import cdktf
    import constructs

    from stacks.synth import synthesize  # noqa: F401 - project import must not replace the library

    assert constructs.Construct.__module__.startswith("constructs")
    assert issubclass(cdktf.TerraformStack, constructs.Construct)


def test_the_venv_resolves_both_without_path_insertion(tmp_path: Path) -> None:
    # The workspace install (pyproject.toml [tool.uv.sources]) makes the library importable by its distribution,
    # as a user's install would: from any directory, with nothing added to sys.path, `zero_trust_ai` is the tree's
    # package and `constructs` is still the library.
    code = ("import constructs, zero_trust_ai, importlib.metadata as m;"
            "print(constructs.__file__); print(zero_trust_ai.__file__); print(m.version('zero-trust-ai-constructs'))")
    env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
    result = subprocess.run([sys.executable, "-c", code], cwd=tmp_path, env=env, capture_output=True, text=True,
                            check=True)
    library_file, package_file, version = result.stdout.split()
    assert "site-packages" in library_file and library_file.endswith("constructs/__init__.py")
    assert Path(package_file) == PROJECT_ROOT / "constructs" / "zero_trust_ai" / "__init__.py"
    assert version


def test_no_distribution_of_the_project_ships_a_constructs_package() -> None:
    # The app's wheel lists only its own packages; the library's wheel only `zero_trust_ai` (tests/test_library_api.py
    # checks the built wheel's contents).
    project = tomllib.loads((PROJECT_ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    library = tomllib.loads((PROJECT_ROOT / "constructs" / "pyproject.toml").read_text(encoding="utf-8"))
    app_packages = project["tool"]["hatch"]["build"]["targets"]["wheel"]["packages"]
    library_packages = library["tool"]["hatch"]["build"]["targets"]["wheel"]["packages"]
    assert not [p for p in app_packages if p.split("/")[0] == "constructs"], app_packages
    assert library_packages == ["zero_trust_ai"]
