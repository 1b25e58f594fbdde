"""The policy gate: checkov over every environment's synthesized JSON, mapped back to constructs.

* one offline checkov run (``--framework terraform_json --skip-download``) over all
  ``cdktf.out/stacks/<env>/cdk.tf.json`` files plus the project's own checks in ``policy/checks``;
* each failed check is mapped from ``aws_x.<logical id>`` to its construct path (the ``//`` metadata
  cdktf writes) and to the Python source file that created it (``constructs.json`` from synthesis);
* failures are matched against the one suppression register (``policy/suppressions.yaml``); anything
  not suppressed fails the gate;
* writes a human summary, JSON, SARIF 2.1.0 and JUnit XML under ``reports/policy-gate/``.
"""

from __future__ import annotations

import fnmatch
import json
import os
import subprocess
import sys
import time
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any
from xml.sax.saxutils import escape, quoteattr

import yaml

PROJECT_ROOT = Path(__file__).resolve().parent.parent
REGISTER = PROJECT_ROOT / "policy" / "suppressions.yaml"
CUSTOM_CHECKS = PROJECT_ROOT / "policy" / "checks"
MIN_REASON_CHARS = 40


@dataclass(frozen=True)
class Suppression:
    check: str
    construct: str
    reason: str
    environments: tuple[str, ...] = ()

    def matches(self, finding: Finding) -> bool:
        if finding.check_id != self.check:
            return False
        if self.environments and finding.environment not in self.environments:
            return False
        return fnmatch.fnmatchcase(finding.construct_path, self.construct)


@dataclass
class Finding:
    check_id: str
    check_name: str
    environment: str
    resource: str  # aws_x.logical_id
    construct_path: str  # path below the stack, e.g. training_network/endpoint_sg
    source_file: str
    guideline: str | None = None
    suppressed_by: str | None = None

    @property
    def display(self) -> str:
        return f"{self.environment}/{self.construct_path}"


@dataclass
class GateResult:
    environments: list[str]
    passed: int
    passed_by_environment: dict[str, int] = field(default_factory=dict)
    failures: list[Finding] = field(default_factory=list)
    suppressed: list[Finding] = field(default_factory=list)
    unused_suppressions: list[Suppression] = field(default_factory=list)
    seconds: float = 0.0

    @property
    def ok(self) -> bool:
        return not self.failures


class RegisterError(ValueError):
    pass


def load_register(path: Path = REGISTER) -> list[Suppression]:
    data = yaml.safe_load(path.read_text(encoding="utf-8")) or []
    if not isinstance(data, list):
        raise RegisterError(f"{path}: must be a YAML list of suppressions")
    entries = []
    for index, item in enumerate(data):
        where = f"{path.name}[{index}]"
        if not isinstance(item, dict) or set(item) - {"check", "construct", "reason", "environments"}:
            raise RegisterError(f"{where}: allowed keys are check, construct, reason, environments")
        for key in ("check", "construct", "reason"):
            if not isinstance(item.get(key), str) or not item[key].strip():
                raise RegisterError(f"{where}: '{key}' is required")
        if len(item["reason"].strip()) < MIN_REASON_CHARS:
            raise RegisterError(f"{where}: the reason must be at least a sentence ({MIN_REASON_CHARS}+ characters)")
        entries.append(
            Suppression(
                check=item["check"],
                construct=item["construct"],
                reason=" ".join(item["reason"].split()),
                environments=tuple(item.get("environments") or ()),
            )
        )
    return entries


def _stack_files(outdir: Path, environments: Sequence[str] | None) -> dict[str, Path]:
    files = {p.parent.name: p for p in sorted((outdir / "stacks").glob("*/cdk.tf.json"))}
    if environments:
        files = {name: path for name, path in files.items() if name in environments}
    if not files:
        raise FileNotFoundError(f"no synthesized stacks under {outdir}/stacks; run the synth first")
    return files


def checkov_executable() -> str:
    configured = os.environ.get("ZTAI_CHECKOV")
    if configured:
        return configured
    local = PROJECT_ROOT / ".tools" / "checkov" / "bin" / "checkov"
    return str(local) if local.exists() else "checkov"


def run_checkov(files: dict[str, Path]) -> list[dict[str, Any]]:
    command = [
        checkov_executable(),
        "--framework",
        "terraform_json",
        "--skip-download",
        "--compact",
        "--output",
        "json",
        "--soft-fail",
    ]
    if CUSTOM_CHECKS.is_dir():
        command += ["--external-checks-dir", str(CUSTOM_CHECKS)]
    for path in files.values():
        command += ["--file", str(path)]
    env = {
        **os.environ,
        "BC_SKIP_MAPPING": "TRUE",
        "CHECKOV_RUN_SCA_PACKAGE_SCAN_V2": "false",
        "LOG_LEVEL": "ERROR",
        "PYTHONWARNINGS": "ignore",
    }
    completed = subprocess.run(command, capture_output=True, text=True, env=env, check=False)
    if completed.returncode != 0 or not completed.stdout.strip():
        raise RuntimeError(f"checkov failed (exit {completed.returncode}): {completed.stderr[-2000:]}")
    report = json.loads(completed.stdout)
    return report if isinstance(report, list) else [report]


def _index(path: Path) -> tuple[dict[str, str], dict[str, dict[str, str]]]:
    """logical id -> construct path (from `//` metadata), and construct path -> source info."""
    document = json.loads(path.read_text(encoding="utf-8"))
    logical: dict[str, str] = {}
    for section in ("resource", "data"):
        for type_name, resources in document.get(section, {}).items():
            for logical_id, body in resources.items():
                meta = body.get("//", {}).get("metadata", {})
                key = f"{type_name}.{logical_id}" if section == "resource" else f"data.{type_name}.{logical_id}"
                logical[key] = meta.get("path", logical_id)
                # checkov names some findings `resource.<logical id>` without the type; cdktf logical
                # ids are unique per stack, so the bare id resolves too.
                logical.setdefault(f"#{logical_id}", key)
    sidecar = path.parent / "constructs.json"
    sources = json.loads(sidecar.read_text(encoding="utf-8")) if sidecar.exists() else {}
    return logical, sources


def _source_for(construct_path: str, sources: dict[str, dict[str, str]]) -> str:
    """The nearest enclosing construct defined in this project (not a provider class)."""
    parts = construct_path.split("/")
    while parts:
        info = sources.get("/".join(parts))
        if info and not info["source"].startswith("<"):
            return info["source"]
        parts.pop()
    return "?"


def evaluate(
    outdir: Path, *, environments: Sequence[str] | None = None, register: Sequence[Suppression] | None = None
) -> GateResult:
    started = time.perf_counter()
    files = _stack_files(outdir, environments)
    suppressions = list(load_register() if register is None else register)
    reports = run_checkov(files)
    by_file = {str(path.resolve()): name for name, path in files.items()}
    indexes = {name: _index(path) for name, path in files.items()}
    result = GateResult(environments=sorted(files), passed=0)
    used: set[int] = set()
    for report in reports:
        results = report.get("results", {})
        result.passed += len(results.get("passed_checks", []))
        for passed in results.get("passed_checks", []):
            env = _environment_of(passed, by_file, files)
            result.passed_by_environment[env] = result.passed_by_environment.get(env, 0) + 1
        for failed in results.get("failed_checks", []):
            env = _environment_of(failed, by_file, files)
            logical, sources = indexes[env]
            resource = failed["resource"].removeprefix("resource.")
            resource = logical.get(f"#{resource}", resource)
            full_path = logical.get(resource, resource)
            construct_path = full_path.split("/", 1)[1] if full_path.startswith(f"{env}/") else full_path
            finding = Finding(
                check_id=failed["check_id"],
                check_name=failed.get("check_name", ""),
                environment=env,
                resource=resource,
                construct_path=construct_path,
                source_file=_source_for(full_path, sources),
                guideline=failed.get("guideline"),
            )
            for number, suppression in enumerate(suppressions):
                if suppression.matches(finding):
                    finding.suppressed_by = suppression.reason
                    used.add(number)
                    break
            (result.suppressed if finding.suppressed_by else result.failures).append(finding)
    result.unused_suppressions = [s for n, s in enumerate(suppressions) if n not in used]
    result.seconds = time.perf_counter() - started
    return result


def _environment_of(failed: dict[str, Any], by_file: dict[str, str], files: dict[str, Path]) -> str:
    for key in ("file_abs_path", "file_path"):
        value = failed.get(key)
        if value and str(Path(value).resolve()) in by_file:
            return by_file[str(Path(value).resolve())]
    if len(files) == 1:
        return next(iter(files))
    raise RuntimeError(f"cannot tell which environment {failed.get('file_abs_path')} belongs to")


# -- reports ------------------------------------------------------------------------------------------
def summary_text(result: GateResult) -> str:
    lines = [
        f"policy gate: {'PASS' if result.ok else 'FAIL'} -- environments {', '.join(result.environments)}; "
        f"{result.passed} passed, {len(result.failures)} failed, {len(result.suppressed)} suppressed "
        f"(register: policy/suppressions.yaml) in {result.seconds:.1f}s"
    ]
    for env in result.environments:
        failed = sum(1 for f in result.failures if f.environment == env)
        suppressed = sum(1 for f in result.suppressed if f.environment == env)
        lines.append(f"  {env}: {result.passed_by_environment.get(env, 0)} passed, {failed} failed, "
                     f"{suppressed} suppressed")
    for finding in sorted(result.failures, key=lambda f: (f.environment, f.construct_path, f.check_id)):
        lines.append(
            f"  FAIL {finding.check_id} {finding.display}  ({finding.source_file}; {finding.resource})"
            f"\n       {finding.check_name}"
        )
    grouped: dict[tuple[str, str], list[str]] = {}
    for finding in result.suppressed:
        grouped.setdefault((finding.check_id, finding.construct_path), []).append(finding.environment)
    for (check, path), envs in sorted(grouped.items()):
        lines.append(f"  suppressed {check} {path} [{', '.join(sorted(envs))}]")
    return "\n".join(lines)


def write_reports(result: GateResult, directory: Path) -> dict[str, Path]:
    directory.mkdir(parents=True, exist_ok=True)
    paths = {
        "summary": directory / "summary.txt",
        "json": directory / "results.json",
        "sarif": directory / "results.sarif",
        "junit": directory / "junit.xml",
    }
    paths["summary"].write_text(summary_text(result) + "\n", encoding="utf-8")
    paths["json"].write_text(
        json.dumps(
            {
                "ok": result.ok,
                "environments": result.environments,
                "passed": result.passed,
                "failures": [asdict(f) for f in result.failures],
                "suppressed": [asdict(f) for f in result.suppressed],
            },
            indent=2,
        )
        + "\n",
        encoding="utf-8",
    )
    paths["sarif"].write_text(json.dumps(_sarif(result), indent=2) + "\n", encoding="utf-8")
    paths["junit"].write_text(_junit(result), encoding="utf-8")
    return paths


def _sarif(result: GateResult) -> dict[str, Any]:
    rules: dict[str, dict[str, Any]] = {}
    results = []
    for finding in result.failures + result.suppressed:
        rules.setdefault(
            finding.check_id,
            {
                "id": finding.check_id,
                "name": finding.check_id,
                "shortDescription": {"text": finding.check_name},
                **({"helpUri": finding.guideline} if finding.guideline else {}),
            },
        )
        entry: dict[str, Any] = {
            "ruleId": finding.check_id,
            "level": "error",
            "message": {"text": f"{finding.check_name}: {finding.display} ({finding.resource})"},
            "locations": [
                {
                    "physicalLocation": {"artifactLocation": {"uri": finding.source_file}},
                    "logicalLocations": [{"fullyQualifiedName": finding.display, "kind": "resource"}],
                }
            ],
        }
        if finding.suppressed_by:
            entry["suppressions"] = [{"kind": "external", "justification": finding.suppressed_by}]
        results.append(entry)
    return {
        "$schema": "https://json.schemastore.org/sarif-2.1.0.json",
        "version": "2.1.0",
        "runs": [
            {
                "tool": {"driver": {"name": "ztai-policy-gate (checkov)", "rules": list(rules.values())}},
                "results": results,
            }
        ],
    }


def _case_name(finding: Finding) -> str:
    return quoteattr(f"{finding.check_id} {finding.construct_path}")


def _junit(result: GateResult) -> str:
    cases = []
    for finding in result.failures:
        cases.append(
            f"  <testcase classname={quoteattr(finding.environment)} name={_case_name(finding)}>"
            f"<failure message={quoteattr(finding.check_name)}>{escape(finding.source_file)}</failure></testcase>"
        )
    for finding in result.suppressed:
        cases.append(
            f"  <testcase classname={quoteattr(finding.environment)} name={_case_name(finding)}>"
            f"<skipped message={quoteattr(finding.suppressed_by or '')}/></testcase>"
        )
    cases.append(f'  <testcase classname="policy-gate" name="passed checks ({result.passed})"/>')
    return (
        f'<?xml version="1.0" encoding="UTF-8"?>\n<testsuite name="policy-gate" tests="{len(cases)}" '
        f'failures="{len(result.failures)}" skipped="{len(result.suppressed)}">\n'
        + "\n".join(cases)
        + "\n</testsuite>\n"
    )


def main(argv: Sequence[str] | None = None) -> int:
    import argparse

    parser = argparse.ArgumentParser(description="checkov policy gate over the synthesized environments")
    parser.add_argument("--outdir", type=Path, default=PROJECT_ROOT / "cdktf.out")
    parser.add_argument("--reports", type=Path, default=PROJECT_ROOT / "reports" / "policy-gate")
    parser.add_argument("--environments", default=None, help="comma-separated subset")
    args = parser.parse_args(argv)
    envs = [e for e in (args.environments or "").split(",") if e] or None
    result = evaluate(args.outdir, environments=envs)
    write_reports(result, args.reports)
    print(summary_text(result))
    return 0 if result.ok else 1


if __name__ == "__main__":
    sys.exit(main())
