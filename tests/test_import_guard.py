"""`constructs/` must never shadow the `constructs` library that cdktf imports (aws-cdk#19301)."""

from __future__ import annotations

import subprocess
import sys
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
