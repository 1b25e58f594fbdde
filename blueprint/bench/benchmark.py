"""Synthesis benchmark: the naive cdktf path against the project's path, measured fairly, side by side.

    python -m blueprint.bench [--repeat 3] [--json reports/benchmark.json]
                                  [--without-bytecode] [--gate] [--tests]
    python -m blueprint.bench --main-job [--repeat 2] [--variants before,after]   (blueprint/bench/main_job.py)

Fair means:
  * both paths run in the same virtualenv, with the same interpreter and the same jsii package cache
    (warmed by one unmeasured run of each path first);
  * each with the bytecode it would have after the project's set-up (scripts/setup.sh compiles .pyc for
    ``python`` and ``.opt-1.pyc`` for ``python -O``; a pip user has the former for every module). The
    conditions report how many modules have fresh bytecode at each level; ``--without-bytecode`` adds
    rows run with PYTHONPYCACHEPREFIX pointing at an empty folder, i.e. every import compiled from source
    (what an install without bytecode, like a bare ``uv sync`` with PYTHONDONTWRITEBYTECODE=1, gets);
  * the runs alternate (naive, project, project without -O, naive, ...) so that a change in the machine's
    load hits all of them; each figure is the median of ``--repeat`` runs with the spread (min-max);
  * wall time, CPU time (user+system of the whole process tree, from wait4) and memory: peak resident
    set of the largest single process (VmHWM) and the peak of the sum over the tree (sampled every 20 ms).

Measured: all environments by the naive path (``ZTAI_NAIVE_PROVIDER_IMPORT=1 python main.py``: the
provider imported normally, every optimisation off), the project path (exactly cdktf.json's app command)
and the project path without ``-O``; 1, 2, 4 and 8 copies of an environment (project path) for the time
each additional environment costs; ``npx cdktf synth`` against the app alone for the CLI's overhead; with
``--gate`` the checkov gate and with ``--tests`` the test suite without the emulator e2e. The load
average is recorded around every run; on a shared machine, read the CPU column along with the wall one.
"""

from __future__ import annotations

import argparse
import contextlib
import importlib.util
import json
import os
import platform
import shlex
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Iterable, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

PROJECT_ROOT = Path(__file__).resolve().parents[2]
PROJECT_PACKAGES = ("blueprint", "constructs", "stacks")
SLOPE_COUNTS = (1, 2, 4, 8)
SLOPE_SOURCE = "dev"


@dataclass
class Measurement:
    label: str
    seconds: float
    cpu_seconds: float
    peak_process_mb: float  # largest single process (VmHWM)
    peak_process: str  # its command name
    peak_tree_mb: float  # peak of the sum over the tree (sampled)
    returncode: int
    load_before: float
    load_after: float


@dataclass
class Series:
    label: str
    runs: list[Measurement] = field(default_factory=list)

    def _values(self, attribute: str) -> list[float]:
        return [getattr(m, attribute) for m in self.runs]

    def median(self, attribute: str = "seconds") -> float:
        return statistics.median(self._values(attribute))

    def spread(self, attribute: str = "seconds") -> tuple[float, float]:
        values = self._values(attribute)
        return min(values), max(values)

    def peak(self, attribute: str) -> float:
        return max(self._values(attribute))

    @property
    def ok(self) -> bool:
        return bool(self.runs) and all(m.returncode == 0 for m in self.runs)

    def summary(self) -> dict[str, Any]:
        low, high = self.spread()
        return {
            "label": self.label, "runs": [asdict(m) for m in self.runs], "seconds_median": self.median(),
            "seconds_min": low, "seconds_max": high, "cpu_seconds_median": self.median("cpu_seconds"),
            "peak_process_mb": self.peak("peak_process_mb"), "peak_tree_mb": self.peak("peak_tree_mb"),
            "ok": self.ok,
        }


# -- process-tree sampling --------------------------------------------------------------------------------

def _children(pid: int) -> list[int]:
    found: list[int] = []
    try:
        for task in Path(f"/proc/{pid}/task").iterdir():
            found += [int(c) for c in (task / "children").read_text().split()]
    except OSError:
        pass
    return found


def _status(pid: int) -> tuple[str, int, int] | None:
    """(name, VmRSS kB, VmHWM kB) of a live process."""
    name, rss, hwm = "?", 0, 0
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            key, _, value = line.partition(":")
            if key == "Name":
                name = value.strip()
            elif key == "VmRSS":
                rss = int(value.split()[0])
            elif key == "VmHWM":
                hwm = int(value.split()[0])
    except (OSError, ValueError):
        return None
    return name, rss, hwm


def measure(label: str, command: Sequence[str], env: dict[str, str], cwd: Path = PROJECT_ROOT) -> Measurement:
    load_before = os.getloadavg()[0]
    with tempfile.TemporaryFile() as stderr:
        started = time.perf_counter()
        process = subprocess.Popen(list(command), cwd=cwd, env=env, stdout=subprocess.DEVNULL, stderr=stderr)
        peak_tree = 0
        per_process: dict[int, tuple[str, int]] = {}
        done = threading.Event()

        def sample() -> None:
            nonlocal peak_tree
            while not done.is_set():
                total, stack, seen = 0, [process.pid], set()
                while stack:
                    pid = stack.pop()
                    if pid in seen:
                        continue
                    seen.add(pid)
                    status = _status(pid)
                    if status is None:
                        continue
                    name, rss, hwm = status
                    total += rss
                    if hwm >= per_process.get(pid, ("", 0))[1]:
                        per_process[pid] = (name, hwm)
                    stack.extend(_children(pid))
                peak_tree = max(peak_tree, total)
                done.wait(0.02)

        sampler = threading.Thread(target=sample, daemon=True)
        sampler.start()
        _, status, usage = os.wait4(process.pid, 0)
        seconds = time.perf_counter() - started
        done.set()
        sampler.join()
        process.returncode = os.waitstatus_to_exitcode(status)
        if process.returncode != 0:
            stderr.seek(0)
            text = stderr.read().decode("utf-8", "replace")
            print(f"[benchmark] {label} failed (exit {process.returncode}):\n{text[-3000:]}", file=sys.stderr)
    name, hwm = max(per_process.values(), key=lambda item: item[1], default=("?", 0))
    return Measurement(label, seconds, usage.ru_utime + usage.ru_stime, hwm / 1024, name, peak_tree / 1024,
                       process.returncode, load_before, os.getloadavg()[0])


# -- conditions ------------------------------------------------------------------------------------------

def _fresh_bytecode(source: Path, optimization: str) -> bool:
    """True when the .pyc that the interpreter would use for ``source`` exists and matches it."""
    try:
        cached = Path(importlib.util.cache_from_source(str(source), optimization=optimization))
        with cached.open("rb") as handle:
            header = handle.read(16)
        stat = source.stat()
    except (OSError, NotImplementedError, ValueError):
        return False
    if len(header) < 16 or header[:4] != importlib.util.MAGIC_NUMBER:
        return False
    flags = int.from_bytes(header[4:8], "little")
    if flags & 0b1:  # hash-based pyc: unchecked ones are valid by definition, checked ones are rare
        return True
    mtime, size = int.from_bytes(header[8:12], "little"), int.from_bytes(header[12:16], "little")
    return mtime == (int(stat.st_mtime) & 0xFFFFFFFF) and size == (stat.st_size & 0xFFFFFFFF)


def bytecode_status(roots: Iterable[Path]) -> dict[str, int]:
    sources = [p for root in roots if root.is_dir() for p in root.rglob("*.py")]
    return {"modules": len(sources), "fresh_pyc": sum(_fresh_bytecode(p, "") for p in sources),
            "fresh_opt1_pyc": sum(_fresh_bytecode(p, "1") for p in sources)}


def _version(command: Sequence[str]) -> str:
    try:
        return subprocess.run(list(command), capture_output=True, text=True, check=True, timeout=30).stdout.strip()
    except (OSError, subprocess.SubprocessError):
        return "?"


_PURELIB = "import sysconfig; print(sysconfig.get_paths()['purelib'])"


def conditions(python: str) -> dict[str, Any]:
    from importlib import metadata

    sys.path.insert(0, str(PROJECT_ROOT))
    from stacks import jsii_runtime as runtime

    node = str(runtime.node_executable() or "node")
    packages = {name: metadata.version(name) for name in ("cdktf", "cdktf-cdktf-provider-aws", "jsii", "constructs")}
    cpu_model = "?"
    with contextlib.suppress(OSError, StopIteration):
        cpu_model = next(line.split(":", 1)[1].strip() for line in Path("/proc/cpuinfo").read_text().splitlines()
                         if line.startswith("model name"))
    return {
        "cpus": os.cpu_count(), "cpu_model": cpu_model, "platform": platform.platform(),
        "python": _version([python, "-c", "import sys; print(sys.version.split()[0])"]),
        "venv_python": python, "node_for_jsii": _version([node, "--version"]), "packages": packages,
        "PYTHONDONTWRITEBYTECODE": os.environ.get("PYTHONDONTWRITEBYTECODE", ""),
        "bytecode_site_packages": bytecode_status([Path(_version([python, "-c", _PURELIB]))]),
        "bytecode_project": bytecode_status(PROJECT_ROOT / p for p in PROJECT_PACKAGES),
    }


# -- the runs ---------------------------------------------------------------------------------------------

def _env(outdir: Path | None, *, naive: bool, environments_dir: Path | None = None,
         pycache_prefix: Path | None = None) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items()
           if k not in ("ZTAI_ENVIRONMENTS", "ZTAI_NAIVE_PROVIDER_IMPORT", "NODE_OPTIONS", "PYTHONPYCACHEPREFIX",
                        "ZTAI_KERNEL_REPORT", "PYTHONOPTIMIZE")}
    env.pop("CDKTF_OUTDIR", None)
    if outdir is not None:
        env["CDKTF_OUTDIR"] = str(outdir)
    if naive:
        env["ZTAI_NAIVE_PROVIDER_IMPORT"] = "1"
    if environments_dir is not None:
        env["ZTAI_ENVIRONMENTS_DIR"] = str(environments_dir)
    if pycache_prefix is not None:
        # an empty folder: no bytecode is found there, and none is written (so every round starts without)
        env["PYTHONPYCACHEPREFIX"] = str(pycache_prefix)
        env["PYTHONDONTWRITEBYTECODE"] = "1"
    return env


def _copies(work: Path, count: int, source: str = SLOPE_SOURCE) -> Path:
    """``count`` copies of one environment file, named <source>1..<source>N (valid environment names)."""
    directory = work / f"envs-{count}"
    directory.mkdir()
    text = (PROJECT_ROOT / "environments" / f"{source}.yaml").read_text(encoding="utf-8")
    for index in range(1, count + 1):
        (directory / f"{source}{index}.yaml").write_text(text, encoding="utf-8")
    return directory


def _same_tree(a: Path, b: Path) -> bool:
    files_a = sorted(p.relative_to(a) for p in a.rglob("*") if p.is_file())
    files_b = sorted(p.relative_to(b) for p in b.rglob("*") if p.is_file())
    return bool(files_a) and files_a == files_b and all((a / f).read_bytes() == (b / f).read_bytes()
                                                        for f in files_a)


def _fit_slope(points: Sequence[tuple[int, float]]) -> float:
    """Least-squares slope of seconds over environment count."""
    xs, ys = [float(x) for x, _ in points], [y for _, y in points]
    mean_x, mean_y = statistics.fmean(xs), statistics.fmean(ys)
    return sum((x - mean_x) * (y - mean_y) for x, y in zip(xs, ys, strict=True)) / sum((x - mean_x) ** 2 for x in xs)


def run(repeat: int, *, without_bytecode: bool, gate: bool, tests: bool) -> dict[str, Any]:
    work = Path(tempfile.mkdtemp(prefix="ztai-bench-"))
    app = shlex.split(json.loads((PROJECT_ROOT / "cdktf.json").read_text(encoding="utf-8"))["app"])
    python = str(PROJECT_ROOT / app[0])  # not resolved: the venv's python is a symbolic link
    project_cmd = [python, *app[1:]]  # exactly cdktf.json's app: .venv/bin/python -O main.py
    plain_cmd = [python, *[a for a in app[1:] if a != "-O"]]  # the same interpreter and app, without -O
    naive_cmd = plain_cmd  # + ZTAI_NAIVE_PROVIDER_IMPORT=1
    results: dict[str, Any] = {"conditions": conditions(python), "repeat": repeat,
                               "commands": {"project": project_cmd, "project_without_O": plain_cmd,
                                            "naive": naive_cmd}}
    loads: list[float] = []

    def take(series: Series, label: str, command: Sequence[str], env: dict[str, str]) -> Path | None:
        m = measure(label, command, env)
        if m.returncode != 0:
            raise SystemExit(f"[benchmark] {label} failed; no figures are reported")
        series.runs.append(m)
        loads.extend((m.load_before, m.load_after))
        print(f"[benchmark] {label}: {m.seconds:.2f} s wall, {m.cpu_seconds:.2f} s CPU, "
              f"{m.peak_process_mb:.0f} MB ({m.peak_process}), load {m.load_before:.1f}", file=sys.stderr)
        return Path(env["CDKTF_OUTDIR"]) if "CDKTF_OUTDIR" in env else None

    try:
        # warm-up: jsii package cache, page cache, every path once
        for naive, command in ((True, naive_cmd), (False, project_cmd)):
            if measure("warm-up", command, _env(work / f"warm-{naive}", naive=naive)).returncode != 0:
                raise SystemExit("[benchmark] the warm-up run failed; no figures are reported")
        naive_s, project_s, plain_s = Series("naive"), Series("project"), Series("project without -O")
        outputs: dict[str, list[Path | None]] = {"naive": [], "project": [], "plain": []}
        for round_ in range(repeat):
            outputs["naive"].append(take(naive_s, f"naive #{round_ + 1}", naive_cmd,
                                         _env(work / f"naive{round_}", naive=True)))
            outputs["project"].append(take(project_s, f"project #{round_ + 1}", project_cmd,
                                           _env(work / f"project{round_}", naive=False)))
            outputs["plain"].append(take(plain_s, f"project without -O #{round_ + 1}", plain_cmd,
                                         _env(work / f"plain{round_}", naive=False)))
        reference = outputs["naive"][0]
        identical = reference is not None and all(
            out is not None and _same_tree(reference, out) for out in outputs["project"] + outputs["plain"]
            + outputs["naive"][1:])
        stacks = sorted(p.name for p in (reference / "stacks").iterdir()) if reference is not None else []
        results["all_environments"] = {
            "stacks": stacks, "naive": naive_s.summary(), "project": project_s.summary(),
            "project_without_O": plain_s.summary(),
            "speedup": naive_s.median() / project_s.median(),
            "cpu_ratio": naive_s.median("cpu_seconds") / project_s.median("cpu_seconds"),
            "memory_ratio_largest_process": naive_s.peak("peak_process_mb") / project_s.peak("peak_process_mb"),
            "O_gain_seconds": plain_s.median() - project_s.median(),
            "outputs_byte_identical": identical,
        }

        if without_bytecode:
            empty = work / "no-pycache"
            empty.mkdir()
            cold_naive, cold_project = Series("naive, no bytecode"), Series("project, no bytecode")
            for round_ in range(repeat):
                take(cold_naive, f"naive, no bytecode #{round_ + 1}", naive_cmd,
                     _env(work / f"cold-naive{round_}", naive=True, pycache_prefix=empty))
                take(cold_project, f"project, no bytecode #{round_ + 1}", project_cmd,
                     _env(work / f"cold-project{round_}", naive=False, pycache_prefix=empty))
            results["without_bytecode"] = {"naive": cold_naive.summary(), "project": cold_project.summary(),
                                           "speedup": cold_naive.median() / cold_project.median()}

        slope_series = {count: Series(f"{count} environment(s)") for count in SLOPE_COUNTS}
        directories = {count: _copies(work, count) for count in SLOPE_COUNTS}
        for round_ in range(repeat):
            for count in SLOPE_COUNTS:
                take(slope_series[count], f"{count} env #{round_ + 1}", project_cmd,
                     _env(work / f"scale{count}-{round_}", naive=False, environments_dir=directories[count]))
        points = [(count, slope_series[count].median()) for count in SLOPE_COUNTS]
        cpu_points = [(count, slope_series[count].median("cpu_seconds")) for count in SLOPE_COUNTS]
        results["scaling"] = {
            "source_environment": SLOPE_SOURCE,
            "runs": {str(count): series.summary() for count, series in slope_series.items()},
            "seconds_per_added_environment": _fit_slope(points),
            "cpu_seconds_per_added_environment": _fit_slope(cpu_points),
            "seconds_8_minus_1_over_7": (points[-1][1] - points[0][1]) / (SLOPE_COUNTS[-1] - SLOPE_COUNTS[0]),
            "fixed_seconds": points[0][1] - _fit_slope(points) * SLOPE_COUNTS[0],
        }

        # the cdktf CLI runs the same app (cdktf.json); its own overhead is the difference to the app alone
        cli, alone = Series("npx cdktf synth"), Series("app alone")
        cli_bin = PROJECT_ROOT / "node_modules" / ".bin" / "cdktf"
        if cli_bin.exists():
            for round_ in range(repeat):
                cli_env = _env(None, naive=False)
                cli_env["PATH"] = f"{PROJECT_ROOT / '.venv' / 'bin'}:{PROJECT_ROOT / 'node_modules' / '.bin'}:" \
                                  f"{cli_env.get('PATH', '')}"
                take(cli, f"npx cdktf synth #{round_ + 1}", [str(cli_bin), "synth", "--output",
                                                             str(work / f"cli-out{round_}")], cli_env)
                take(alone, f"app alone #{round_ + 1}", project_cmd, _env(work / f"alone{round_}", naive=False))
            results["cdktf_cli_synth"] = {"cli": cli.summary(), "app": alone.summary(),
                                          "overhead_seconds": cli.median() - alone.median()}

        if gate:
            series = Series("checkov gate")
            assert reference is not None
            take(series, "checkov gate", [python, "-m", "blueprint.gate", "--outdir", str(reference), "--reports",
                                          str(work / "gate-reports")], dict(os.environ))
            results["checkov_gate"] = series.summary()
        if tests:
            series = Series("tests (not e2e)")
            take(series, "tests (not e2e)", [python, "-m", "pytest", "-q", "-m", "not e2e", "-p", "no:cacheprovider"],
                 dict(os.environ))
            results["test_suite_without_e2e"] = series.summary()
    finally:
        shutil.rmtree(work, ignore_errors=True)
    results["load_average_1min"] = {"min": min(loads), "median": statistics.median(loads), "max": max(loads)} \
        if loads else {}
    results["targets"] = _targets(results)
    return results


TARGETS = {"speedup_min": 6.0, "peak_process_mb_max": 250.0, "seconds_per_added_environment_max": 0.3}


def _targets(results: dict[str, Any]) -> dict[str, Any]:
    allenv, scaling = results.get("all_environments"), results.get("scaling")
    if not allenv or not scaling:
        return {}
    speedup = allenv["speedup"]
    peak = allenv["project"]["peak_process_mb"]
    slope = scaling["seconds_per_added_environment"]
    return {
        "speedup": {"target": TARGETS["speedup_min"], "measured": speedup, "met": speedup >= TARGETS["speedup_min"]},
        "peak_process_mb": {"target": TARGETS["peak_process_mb_max"], "measured": peak,
                            "met": peak <= TARGETS["peak_process_mb_max"]},
        "seconds_per_added_environment": {"target": TARGETS["seconds_per_added_environment_max"], "measured": slope,
                                          "met": slope <= TARGETS["seconds_per_added_environment_max"]},
    }


# -- the table --------------------------------------------------------------------------------------------

def _row(label: str, series: dict[str, Any]) -> str:
    return (f"| {label} | {series['seconds_median']:.2f} s ({series['seconds_min']:.2f}-{series['seconds_max']:.2f})"
            f" | {series['cpu_seconds_median']:.2f} s | {series['peak_process_mb']:.0f} MB"
            f" | {series['peak_tree_mb']:.0f} MB |")


def render(results: dict[str, Any]) -> str:
    c = results["conditions"]
    site, project = c["bytecode_site_packages"], c["bytecode_project"]
    load = results.get("load_average_1min", {})
    allenv, scaling = results["all_environments"], results["scaling"]
    stacks = allenv["stacks"]
    lines = [
        "Conditions:",
        f"- machine: {c['cpus']} CPUs ({c['cpu_model']}), {c['platform']}; load average (1 min) around the runs: "
        f"{load.get('min', 0):.1f} min / {load.get('median', 0):.1f} median / {load.get('max', 0):.1f} max",
        f"- one virtualenv for every path: {c['venv_python']} (Python {c['python']}); jsii kernel on Node "
        f"{c['node_for_jsii']}; " + ", ".join(f"{k} {v}" for k, v in c["packages"].items()),
        f"- bytecode: PYTHONDONTWRITEBYTECODE={c['PYTHONDONTWRITEBYTECODE'] or '(unset)'}; fresh .pyc / .opt-1.pyc "
        f"in site-packages {site['fresh_pyc']}/{site['modules']} / {site['fresh_opt1_pyc']}/{site['modules']}, "
        f"in the project's packages {project['fresh_pyc']}/{project['modules']} / "
        f"{project['fresh_opt1_pyc']}/{project['modules']} (scripts/setup.sh compiles both levels)",
        f"- {results['repeat']} alternating rounds after one warm-up run of each path; median (min-max) of wall "
        "time; CPU = user+system of the whole process tree; memory = peak RSS of the largest process and peak "
        "of the sum over the process tree (Python + jsii's two Node processes [+ the CLI])",
        f"- all environments = {len(stacks)} stacks ({', '.join(stacks)}); output of every run compared byte for "
        f"byte with the naive path's: {'identical' if allenv['outputs_byte_identical'] else 'DIFFERENT'}",
        "",
        "| measurement | wall time, median (min-max) | CPU time | peak RSS, largest process | peak RSS, tree |",
        "|---|---|---|---|---|",
        _row("all environments, naive path (`ZTAI_NAIVE_PROVIDER_IMPORT=1 python main.py`)", allenv["naive"]),
        _row("all environments, project path (cdktf.json app: `python -O main.py`)", allenv["project"]),
        _row("all environments, project path without `-O` (`python main.py`)", allenv["project_without_O"]),
        f"| naive / project | **{allenv['speedup']:.1f}x** faster | {allenv['cpu_ratio']:.1f}x less CPU | "
        f"{allenv['memory_ratio_largest_process']:.1f}x less | |",
        f"| what `-O` saves | {allenv['O_gain_seconds']:.2f} s | | | |",
    ]
    cold = results.get("without_bytecode")
    if cold:
        lines += [_row("all environments, naive path, no bytecode", cold["naive"]),
                  _row("all environments, project path, no bytecode", cold["project"]),
                  f"| naive / project without bytecode (unfair) | {cold['speedup']:.1f}x | | | |"]
    for count, series in scaling["runs"].items():
        lines.append(_row(f"{count} x `{scaling['source_environment']}`, project path", series))
    lines.append(f"| each additional environment (least-squares slope over 1/2/4/8) | "
                 f"**{scaling['seconds_per_added_environment']:.2f} s** | "
                 f"{scaling['cpu_seconds_per_added_environment']:.2f} s | | |")
    lines.append(f"| fixed part (intercept) | {scaling['fixed_seconds']:.2f} s | | | |")
    cli = results.get("cdktf_cli_synth")
    if cli:
        lines.append(_row("`npx cdktf synth`, all environments", cli["cli"]))
        lines.append(f"| cdktf CLI overhead over the app alone | {cli['overhead_seconds']:.2f} s | | | |")
    for key, label in (("checkov_gate", "checkov gate, all environments"),
                       ("test_suite_without_e2e", "test suite without e2e")):
        if key in results:
            lines.append(_row(label, results[key]))
    targets = results.get("targets", {})
    if targets:
        lines.append("")
        lines.append("Targets: " + "; ".join(
            f"{name} {'met' if t['met'] else 'MISSED'} ({t['measured']:.2f} vs {t['target']})"
            for name, t in targets.items()))
    return "\n".join(lines)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--json", type=Path, help="also write the figures as JSON")
    parser.add_argument("--repeat", type=int, default=3, help="alternating rounds per measurement (median reported)")
    parser.add_argument("--without-bytecode", action="store_true",
                        help="also run both paths with no bytecode at all (the unfair comparison)")
    parser.add_argument("--gate", action="store_true", help="also time the checkov gate")
    parser.add_argument("--tests", action="store_true", help="also time the test suite without e2e")
    parser.add_argument("--main-job", action="store_true",
                        help="instead: time whole main jobs, phases and what dominates the apply "
                        "(blueprint/bench/main_job.py)")
    parser.add_argument("--variants", default="before,after",
                        help="with --main-job: the settings to alternate (before = ZTAI_MAIN_JOB_BASELINE=1, after)")
    parser.add_argument("--keep-logs", type=Path, help="with --main-job: copy each run's terraform log here")
    args = parser.parse_args(argv)
    if args.repeat < 1:
        parser.error("--repeat must be at least 1")
    if args.main_job:
        from blueprint.bench import main_job

        variants = [v for v in args.variants.split(",") if v]
        if not variants or any(v not in main_job.VARIANTS for v in variants):
            parser.error(f"--variants: a comma-separated selection of {', '.join(main_job.VARIANTS)}")
        job = main_job.run(args.repeat, variants, keep=args.keep_logs)
        print(main_job.render(job))
        if args.json:
            args.json.parent.mkdir(parents=True, exist_ok=True)
            args.json.write_text(json.dumps(job, indent=2) + "\n", encoding="utf-8")
        return 0 if all(s["all_ok"] for s in job["series"].values()) else 1
    results = run(args.repeat, without_bytecode=args.without_bytecode, gate=args.gate, tests=args.tests)
    print(render(results))
    if args.json:
        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_text(json.dumps(results, indent=2) + "\n", encoding="utf-8")
    return 0 if results["all_environments"]["outputs_byte_identical"] else 1


if __name__ == "__main__":
    sys.exit(main())
