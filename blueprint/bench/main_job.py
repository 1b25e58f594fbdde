"""Main-job benchmark (issue 21): where the minutes of ``ztai main-job`` go, and what dominates the apply.

    python -m blueprint.bench --main-job [--repeat 2] [--json reports/benchmark-main-job.json]
                                         [--variants before,after]

Each run is a whole main job (synth, gate, deploy ``local`` to a new emulator, second plan, verify, drill)
in a copy of the project whose emulator listens on a free port, so neither an emulator of the developer
nor one of another checkout on the same machine is reused. One unmeasured ``terraform init`` makes every
measured run warm (providers installed, as on a second ``run-main.sh``). The variants alternate
(before, after, before, after, ...) so a change of the machine's load hits both; each figure is the median
over ``--repeat`` runs with the load average around each run.

* ``after``: the project's settings.
* ``before``: the settings before issue 21's speed-up, restored by ``ZTAI_MAIN_JOB_BASELINE=1``
  (see :func:`blueprint.deploy.terraform.emulator_settings`).

Phases come from what the main job reports itself (``reports/main-job.json``). The apply is read from
terraform's machine-readable output in ``reports/terraform-local.log``: each resource's duration from its
``apply_start`` to its ``apply_complete`` timestamps, grouped by resource type, and the critical path --
the longest chain of durations through the dependency graph of the synthesized ``cdk.tf.json`` (references
and ``depends_on``), i.e. the apply time no parallelism can beat with these per-resource durations.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterable, Sequence
from datetime import datetime
from pathlib import Path
from typing import Any

import yaml

from blueprint.deploy import emulator

PROJECT_ROOT = Path(__file__).resolve().parents[2]
COPIED = ("blueprint", "stacks", "constructs", "environments", "policy")
COPIED_FILES = ("main.py", "cdktf.json", "package.json", "pyproject.toml")
LINKED = (".venv", "node_modules", ".tools", ".terraform.d")
VARIANTS = {"before": {"ZTAI_MAIN_JOB_BASELINE": "1"}, "after": {}}
# (label, how to read it from reports/main-job.json)
PHASES: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("synth (6 stacks)", ("synth", "seconds")),
    ("policy gate", ("gate", "seconds")),
    ("deploy step (emulator start to stop)", ("deploy_local", "seconds")),
    ("  emulator start", ("deploy_local", "emulator_start_seconds")),
    ("  terraform init", ("deploy_local", "init_seconds")),
    ("  terraform apply", ("deploy_local", "apply_seconds")),
    ("  second plan", ("deploy_local", "plan_seconds")),
    ("  verify (live checks)", ("deploy_local", "verify_seconds")),
    ("  red-team drill", ("deploy_local", "drill_seconds")),
    ("main job, total", ("total_seconds",)),
)


# -- terraform's machine-readable output ---------------------------------------------------------------------

def _timestamp(message: dict[str, Any]) -> float:
    return datetime.fromisoformat(str(message["@timestamp"]).replace("Z", "+00:00")).timestamp()


def resource_durations(lines: Iterable[str]) -> dict[str, dict[str, Any]]:
    """Per managed resource of the (last) apply: type, start and end (seconds after the first start), duration.

    Read from ``apply_start`` / ``apply_complete`` messages of ``terraform apply -json``; data sources
    (action ``read``) are left out. A resource applied twice (a re-apply) keeps its last run.
    """
    starts: dict[str, float] = {}
    done: dict[str, dict[str, Any]] = {}
    first: float | None = None
    for line in lines:
        text = line.strip()
        if not text.startswith("{"):
            continue
        try:
            message = json.loads(text)
        except json.JSONDecodeError:
            continue
        kind = message.get("type")
        if kind not in ("apply_start", "apply_complete"):
            continue
        hook = message.get("hook", {})
        resource = hook.get("resource", {})
        address = resource.get("addr")
        if not address or hook.get("action") == "read":
            continue
        at = _timestamp(message)
        if kind == "apply_start":
            first = at if first is None else min(first, at)
            starts[address] = at
        elif address in starts:
            done[address] = {"type": resource.get("resource_type", "?"), "start": starts[address], "end": at,
                             "seconds": at - starts[address], "elapsed_seconds": hook.get("elapsed_seconds")}
    origin = first or 0.0
    for entry in done.values():
        entry["start"] -= origin
        entry["end"] -= origin
    return done


_ADDRESS = re.compile(r"\b(?:data\.)?aws_[a-z0-9_]+\.[A-Za-z0-9_-]+")


def dependencies(document: dict[str, Any]) -> dict[str, set[str]]:
    """address -> the managed resources it references or ``depends_on`` in a synthesized ``cdk.tf.json``."""
    resources = {f"{kind}.{name}": body for kind, named in document.get("resource", {}).items()
                 for name, body in named.items()}
    graph: dict[str, set[str]] = {}
    for address, body in resources.items():
        text = json.dumps(body)
        graph[address] = {found for found in _ADDRESS.findall(text) if found in resources and found != address}
    return graph


def critical_path(durations: dict[str, dict[str, Any]], graph: dict[str, set[str]]) -> tuple[float, list[str]]:
    """The longest chain of measured durations through the dependency graph (seconds, addresses in order)."""
    finish: dict[str, float] = {}
    previous: dict[str, str | None] = {}

    def visit(address: str, trail: frozenset[str]) -> float:
        if address in finish:
            return finish[address]
        best, before = 0.0, None
        for dependency in graph.get(address, ()):
            if dependency in trail:  # a cycle cannot be in a valid configuration; guard anyway
                continue
            candidate = visit(dependency, trail | {address})
            if candidate > best:
                best, before = candidate, dependency
        finish[address] = best + float(durations.get(address, {}).get("seconds", 0.0))
        previous[address] = before
        return finish[address]

    for address in durations:
        visit(address, frozenset())
    if not finish:
        return 0.0, []
    end = max(finish, key=lambda a: finish[a])
    chain: list[str] = []
    cursor: str | None = end
    while cursor is not None:
        chain.append(cursor)
        cursor = previous.get(cursor)
    return finish[end], list(reversed(chain))


def apply_profile(lines: Iterable[str], document: dict[str, Any], *, top: int = 12) -> dict[str, Any]:
    """What dominates an apply: per-type durations, the slowest resources, the critical path, concurrency."""
    durations = resource_durations(lines)
    by_type: dict[str, list[float]] = {}
    for entry in durations.values():
        by_type.setdefault(entry["type"], []).append(entry["seconds"])
    types = sorted(({"type": kind, "count": len(values), "sum_seconds": sum(values), "max_seconds": max(values),
                     "median_seconds": statistics.median(values)} for kind, values in by_type.items()),
                   key=lambda row: -float(row["sum_seconds"]))
    length, chain = critical_path(durations, dependencies(document))
    wall = max((e["end"] for e in durations.values()), default=0.0)
    busy = sum(e["seconds"] for e in durations.values())
    return {
        "resources": len(durations),
        "first_start_to_last_complete_seconds": wall,
        "resource_seconds_total": busy,
        "mean_in_flight": busy / wall if wall else 0.0,
        "by_type": types,
        "slowest": [{"address": a, **{k: durations[a][k] for k in ("seconds", "start", "end")}}
                    for a in sorted(durations, key=lambda a: -float(durations[a]["seconds"]))[:top]],
        "critical_path_seconds": length,
        "critical_path": [{"address": a, "seconds": durations.get(a, {}).get("seconds", 0.0)} for a in chain],
    }


# -- running main jobs ---------------------------------------------------------------------------------------

def copy_project(root: Path, port: int) -> Path:
    """A copy of the project whose ``local`` emulator listens on ``port`` (the toolchain is linked, not copied)."""
    ignore = shutil.ignore_patterns("__pycache__", ".terraform*", "*.pyc")
    for folder in COPIED:
        shutil.copytree(PROJECT_ROOT / folder, root / folder, ignore=ignore)
    for name in COPIED_FILES:
        shutil.copy2(PROJECT_ROOT / name, root / name)
    for name in LINKED:
        if (PROJECT_ROOT / name).exists():
            (root / name).symlink_to(PROJECT_ROOT / name)
    local = root / "environments" / "local.yaml"
    text = local.read_text(encoding="utf-8")
    endpoint = yaml.safe_load(text)["emulator"]["endpoint"]
    local.write_text(text.replace(endpoint, f"http://127.0.0.1:{port}"), encoding="utf-8")
    return root


def _env(root: Path, extra: dict[str, str]) -> dict[str, str]:
    env = {key: value for key, value in os.environ.items() if not key.startswith(("ZTAI_", "TF_CLI_ARGS"))}
    env.update({
        "PATH": f"{root / '.venv' / 'bin'}:{root / 'node_modules' / '.bin'}:{os.environ.get('PATH', '')}",
        "TF_CLI_CONFIG_FILE": str(root / ".terraform.d" / "cli.tfrc"),
        "CHECKPOINT_DISABLE": "1",
        "CI": "1",  # plain progress lines
        **extra,
    })
    env.pop("PYTHONPATH", None)
    return env


def _dig(data: dict[str, Any], path: Sequence[str]) -> float | None:
    value: Any = data
    for key in path:
        if not isinstance(value, dict) or key not in value:
            return None
        value = value[key]
    return float(value) if isinstance(value, int | float) else None


def run_once(root: Path, variant: str, label: str) -> dict[str, Any]:
    python = str(root / ".venv" / "bin" / "python")
    load_before = os.getloadavg()[0]
    started = time.perf_counter()
    result = subprocess.run([python, "-m", "blueprint.cli", "main-job"], cwd=root, env=_env(root, VARIANTS[variant]),
                            capture_output=True, text=True, check=False)
    seconds = time.perf_counter() - started
    load_after = os.getloadavg()[0]
    reports = root / "reports"
    tag = label.replace(" ", "").replace("#", "-")
    reports.mkdir(exist_ok=True)
    (reports / f"console.{tag}.txt").write_text(result.stdout + result.stderr, encoding="utf-8")
    if not (reports / "main-job.json").exists():
        raise SystemExit(f"[benchmark] main job {label} wrote no summary (exit {result.returncode}):\n"
                         f"{(result.stdout + result.stderr)[-4000:]}")
    summary = json.loads((reports / "main-job.json").read_text(encoding="utf-8"))
    document = json.loads((root / "cdktf.out" / "stacks" / "local" / "cdk.tf.json").read_text(encoding="utf-8"))
    log = (reports / "terraform-local.log").read_text(encoding="utf-8").splitlines()
    deploy = summary.get("deploy_local", {})
    phases = {name: _dig(summary, path) for name, path in PHASES}
    profile = apply_profile(log, document)
    run: dict[str, Any] = {
        "label": label, "variant": variant, "returncode": result.returncode, "wall_seconds": seconds,
        "load_before": load_before, "load_after": load_after,
        "phases": phases,
        "controls": {"ok": summary.get("ok"), "resources": deploy.get("resources"),
                     "apply_attempts": deploy.get("apply_attempts"), "second_plan_clean": deploy.get("idempotent"),
                     "verify_failed": deploy.get("verify_failed"), "drill_total": deploy.get("drill_total"),
                     "drill_wrong": deploy.get("drill_wrong")},
        "apply": profile,
        "console_lines": len((result.stdout + result.stderr).splitlines()),
    }
    shutil.copy2(reports / "terraform-local.log", reports / f"terraform-local.{tag}.log")
    print(f"[benchmark] main job {label}: {seconds:.0f} s wall, exit {result.returncode}, load {load_before:.1f} -> "
          f"{load_after:.1f}; apply {phases['  terraform apply'] or 0:.0f} s, critical path "
          f"{profile['critical_path_seconds']:.0f} s", file=sys.stderr)
    if result.returncode != 0:
        print((result.stdout + result.stderr)[-4000:], file=sys.stderr)
    return run


def _series(runs: list[dict[str, Any]]) -> dict[str, Any]:
    phases: dict[str, Any] = {}
    for name, _ in PHASES:
        values = [r["phases"][name] for r in runs if r["phases"].get(name) is not None]
        if values:
            phases[name] = {"median": statistics.median(values), "min": min(values), "max": max(values)}
    critical = [r["apply"]["critical_path_seconds"] for r in runs]
    return {"runs": len(runs), "phases": phases, "critical_path_seconds_median": statistics.median(critical),
            "all_ok": all(r["returncode"] == 0 and r["controls"]["ok"] for r in runs),
            "loads": [round(r["load_before"], 2) for r in runs]}


def run(repeat: int, variants: Sequence[str], *, keep: Path | None = None) -> dict[str, Any]:
    work = Path(tempfile.mkdtemp(prefix="ztai-bench-main-job-"))
    root = copy_project(work / "project", emulator.free_port())
    try:
        python = str(root / ".venv" / "bin" / "python")
        env = _env(root, {})
        warm = subprocess.run([python, "-m", "blueprint.cli", "synth", "--environments", "local"], cwd=root, env=env,
                              capture_output=True, text=True, check=False)
        if warm.returncode == 0:
            warm = subprocess.run(["terraform", "init", "-input=false", "-no-color"],
                                  cwd=root / "cdktf.out" / "stacks" / "local", env=env, capture_output=True, text=True,
                                  check=False)
        if warm.returncode != 0:
            raise SystemExit(f"[benchmark] the warm-up (synth + terraform init) failed:\n{warm.stderr[-3000:]}")
        runs: list[dict[str, Any]] = []
        for round_ in range(repeat):
            for variant in variants:
                runs.append(run_once(root, variant, f"{variant} #{round_ + 1}"))
        results = {
            "conditions": {"cpus": os.cpu_count(), "repeat": repeat, "variants": list(variants),
                           "variant_env": {v: VARIANTS[v] for v in variants}},
            "runs": runs,
            "series": {v: _series([r for r in runs if r["variant"] == v]) for v in variants},
        }
        if keep is not None:
            keep.mkdir(parents=True, exist_ok=True)
            for log in [*(root / "reports").glob("terraform-local.*.log"), *(root / "reports").glob("console.*.txt")]:
                shutil.copy2(log, keep / log.name)
        return results
    finally:
        shutil.rmtree(work, ignore_errors=True)


# -- the tables ----------------------------------------------------------------------------------------------

def render(results: dict[str, Any]) -> str:
    variants = results["conditions"]["variants"]
    series = results["series"]
    lines = [f"Main job, {results['conditions']['repeat']} alternating round(s) of {', '.join(variants)}; "
             f"median (min-max); load average (1 min) before each run: "
             + "; ".join(f"{v} {series[v]['loads']}" for v in variants), "",
             "| phase | " + " | ".join(variants) + " |", "|---|" + "---|" * len(variants)]
    for name, _ in PHASES:
        cells = []
        for v in variants:
            figure = series[v]["phases"].get(name)
            cells.append(f"{figure['median']:.1f} s ({figure['min']:.0f}-{figure['max']:.0f})" if figure else "-")
        lines.append(f"| {name} | " + " | ".join(cells) + " |")
    lines.append("| apply: critical path (longest dependency chain of measured durations) | "
                 + " | ".join(f"{series[v]['critical_path_seconds_median']:.1f} s" for v in variants) + " |")
    lines.append("| every control (302 resources, plan clean, verify, drill) | "
                 + " | ".join("ok" if series[v]["all_ok"] else "FAILED" for v in variants) + " |")
    for v in variants:
        last = next(r for r in reversed(results["runs"]) if r["variant"] == v)
        profile = last["apply"]
        lines += ["", f"Apply of `{last['label']}`: {profile['resources']} resources, "
                  f"{profile['first_start_to_last_complete_seconds']:.0f} s first start to last completion, "
                  f"{profile['resource_seconds_total']:.0f} resource-seconds (mean {profile['mean_in_flight']:.1f} "
                  f"in flight); critical path {profile['critical_path_seconds']:.0f} s:",
                  "  " + " -> ".join(f"{p['address'].split('.')[0]} {p['seconds']:.0f}s"
                                     for p in profile["critical_path"]),
                  "| resource type | count | sum | median | max |", "|---|---|---|---|---|"]
        lines += [f"| {t['type']} | {t['count']} | {t['sum_seconds']:.0f} s | {t['median_seconds']:.1f} s | "
                  f"{t['max_seconds']:.0f} s |" for t in profile["by_type"][:10]]
    return "\n".join(lines)
