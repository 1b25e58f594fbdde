"""Synthesis benchmark: the naive cdktf path against the project's path, measured side by side.

    python -m blueprint.benchmark [--json reports/benchmark.json] [--skip-tests] [--repeat N]

For every measured run the whole process tree (python + the jsii node process) is sampled from /proc
every 20 ms: wall time and peak resident memory (sum over the tree) are reported.
Measured, in one run:
  * all environments, naive provider import (ZTAI_NAIVE_PROVIDER_IMPORT=1) vs the lazy import;
  * 1, 2, 4 and 8 copies of an environment (lazy path) -> time added per environment;
  * the checkov gate over all environments; the test suite without the emulator e2e.
"""

from __future__ import annotations

import argparse
import json
import os
import shlex
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parent.parent
PYTHON = sys.executable


@dataclass
class Measurement:
    label: str
    seconds: float
    peak_rss_mb: float
    returncode: int


def _children(pid: int) -> list[int]:
    found = []
    try:
        for task in Path(f"/proc/{pid}/task").iterdir():
            text = (task / "children").read_text()
            found += [int(c) for c in text.split()]
    except OSError:
        pass
    return found


def _tree_rss_kb(root: int) -> int:
    total, stack, seen = 0, [root], set()
    while stack:
        pid = stack.pop()
        if pid in seen:
            continue
        seen.add(pid)
        try:
            for line in Path(f"/proc/{pid}/status").read_text().splitlines():
                if line.startswith("VmRSS:"):
                    total += int(line.split()[1])
                    break
        except OSError:
            continue
        stack.extend(_children(pid))
    return total


def measure(label: str, command: Sequence[str], env: dict[str, str], cwd: Path = PROJECT_ROOT) -> Measurement:
    started = time.perf_counter()
    process = subprocess.Popen(list(command), cwd=cwd, env=env, stdout=subprocess.DEVNULL,
                               stderr=subprocess.PIPE, text=True)
    peak = 0
    done = threading.Event()

    def sample() -> None:
        nonlocal peak
        while not done.is_set():
            peak = max(peak, _tree_rss_kb(process.pid))
            time.sleep(0.02)

    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    _, stderr = process.communicate()
    done.set()
    sampler.join()
    seconds = time.perf_counter() - started
    if process.returncode != 0:
        print(f"[benchmark] {label} failed:\n{stderr[-2000:]}", file=sys.stderr)
    return Measurement(label, seconds, peak / 1024, process.returncode)


def _env(outdir: Path, *, naive: bool, environments_dir: Path | None = None) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in ("ZTAI_ENVIRONMENTS", "ZTAI_NAIVE_PROVIDER_IMPORT")}
    env["CDKTF_OUTDIR"] = str(outdir)
    env.pop("NODE_OPTIONS", None)
    if naive:
        env["ZTAI_NAIVE_PROVIDER_IMPORT"] = "1"
    if environments_dir is not None:
        env["ZTAI_ENVIRONMENTS_DIR"] = str(environments_dir)
    return env


def _copies(work: Path, count: int, source: str = "dev") -> Path:
    directory = work / f"envs-{count}"
    directory.mkdir()
    text = (PROJECT_ROOT / "environments" / f"{source}.yaml").read_text(encoding="utf-8")
    for index in range(1, count + 1):
        (directory / f"{source}{index}.yaml").write_text(text, encoding="utf-8")
    return directory


def run(repeat: int, skip_tests: bool) -> dict[str, object]:
    work = Path(tempfile.mkdtemp(prefix="ztai-bench-"))
    # the project's path is exactly what `cdktf synth` runs (cdktf.json "app"); the naive path is a plain
    # `python main.py` with the provider imported normally and no tuning.
    app = shlex.split(json.loads((PROJECT_ROOT / "cdktf.json").read_text(encoding="utf-8"))["app"])
    main_py = [PYTHON, *app[1:]]
    naive_py = [PYTHON, "main.py"]
    results: dict[str, object] = {"machine": {"cpus": os.cpu_count(), "python": sys.version.split()[0]}}
    try:
        # warm-up (jsii package cache, page cache) so both paths start equal
        measure("warm-up", main_py, _env(work / "warm", naive=False))
        naive_runs, lazy_runs = [], []
        for round_ in range(repeat):
            naive_runs.append(measure("naive", naive_py, _env(work / f"naive{round_}", naive=True)))
            lazy_runs.append(measure("lazy", main_py, _env(work / f"lazy{round_}", naive=False)))
        naive_s = statistics.median(m.seconds for m in naive_runs)
        lazy_s = statistics.median(m.seconds for m in lazy_runs)
        identical = _same_tree(work / "naive0", work / "lazy0")
        results["all_environments"] = {
            "naive": {"seconds": naive_s, "peak_rss_mb": max(m.peak_rss_mb for m in naive_runs)},
            "lazy": {"seconds": lazy_s, "peak_rss_mb": max(m.peak_rss_mb for m in lazy_runs)},
            "speedup": naive_s / lazy_s,
            "memory_ratio": max(m.peak_rss_mb for m in naive_runs) / max(m.peak_rss_mb for m in lazy_runs),
            "outputs_byte_identical": identical,
        }
        scaling = {}
        for count in (1, 2, 4, 8):
            envs = _copies(work, count)
            m = measure(f"{count} env", main_py, _env(work / f"scale{count}", naive=False, environments_dir=envs))
            scaling[count] = {"seconds": m.seconds, "peak_rss_mb": m.peak_rss_mb}
        per_env = (scaling[8]["seconds"] - scaling[1]["seconds"]) / 7
        results["scaling"] = {"runs": scaling, "seconds_per_added_environment": per_env}
        # the cdktf CLI runs the same app; its own overhead is the difference
        cli_env = _env(work / "cli-app", naive=False)
        cli_env.pop("CDKTF_OUTDIR")  # the CLI chooses the app's output directory itself (--output)
        cli_env["PATH"] = f"{PROJECT_ROOT / '.venv' / 'bin'}:{PROJECT_ROOT / 'node_modules' / '.bin'}:{cli_env['PATH']}"
        cli = measure("npx cdktf synth", [str(PROJECT_ROOT / "node_modules" / ".bin" / "cdktf"), "synth", "--output",
                                          str(work / "cli-out")], cli_env)
        results["cdktf_cli_synth"] = {**asdict(cli), "overhead_seconds": cli.seconds - lazy_s}
        gate = measure("checkov gate", [PYTHON, "-m", "blueprint.gate", "--outdir", str(work / "lazy0"),
                                        "--reports", str(work / "gate-reports")], dict(os.environ))
        results["checkov_gate"] = asdict(gate)
        if not skip_tests:
            pytest = [PYTHON, "-m", "pytest", "-q", "-m", "not e2e", "-p", "no:cacheprovider"]
            tests = measure("tests (not e2e)", pytest, dict(os.environ))
            results["test_suite_without_e2e"] = asdict(tests)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    return results


def _same_tree(a: Path, b: Path) -> bool:
    files_a = sorted(p.relative_to(a) for p in a.rglob("*") if p.is_file())
    files_b = sorted(p.relative_to(b) for p in b.rglob("*") if p.is_file())
    return files_a == files_b and all((a / f).read_bytes() == (b / f).read_bytes() for f in files_a)


def render(results: dict[str, object]) -> str:
    allenv = results["all_environments"]
    scaling = results["scaling"]
    assert isinstance(allenv, dict) and isinstance(scaling, dict)
    lines = [
        "| measurement | wall time | peak RSS (tree) |",
        "|---|---|---|",
        f"| all environments, naive path (`python main.py`, eager provider import) | "
        f"{allenv['naive']['seconds']:.1f} s | "
        f"{allenv['naive']['peak_rss_mb']:.0f} MB |",
        f"| all environments, project path (cdktf.json app) | {allenv['lazy']['seconds']:.1f} s | "
        f"{allenv['lazy']['peak_rss_mb']:.0f} MB |",
        f"| ratio naive / lazy | {allenv['speedup']:.2f}x | {allenv['memory_ratio']:.2f}x |",
    ]
    for count, run_ in scaling["runs"].items():
        lines.append(f"| {count} environment(s), lazy | {run_['seconds']:.1f} s | {run_['peak_rss_mb']:.0f} MB |")
    lines.append(f"| time added per extra environment | {scaling['seconds_per_added_environment']:.2f} s | |")
    cli = results["cdktf_cli_synth"]
    assert isinstance(cli, dict)
    lines.append(f"| `npx cdktf synth` (all environments) | {cli['seconds']:.1f} s | {cli['peak_rss_mb']:.0f} MB |")
    lines.append(f"| cdktf CLI overhead over the app | {cli['overhead_seconds']:.1f} s | |")
    gate = results["checkov_gate"]
    assert isinstance(gate, dict)
    lines.append(f"| checkov gate, all environments | {gate['seconds']:.1f} s | {gate['peak_rss_mb']:.0f} MB |")
    tests = results.get("test_suite_without_e2e")
    if isinstance(tests, dict):
        lines.append(f"| test suite without e2e | {tests['seconds']:.1f} s | {tests['peak_rss_mb']:.0f} MB |")
    lines.append(f"\noutputs byte-identical (naive vs lazy): {allenv['outputs_byte_identical']}")
    return "\n".join(lines)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--json", type=Path, help="also write the figures as JSON")
    parser.add_argument("--repeat", type=int, default=1, help="naive/lazy rounds (median reported)")
    parser.add_argument("--skip-tests", action="store_true", help="do not time the test suite")
    args = parser.parse_args(argv)
    results = run(args.repeat, args.skip_tests)
    print(render(results))
    if args.json:
        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_text(json.dumps(results, indent=2) + "\n", encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
