"""Run the suite against every mutation of the catalogue; a surviving mutant is a failing build.

    python -m tests.mutations.harness                      # against cdktf.out (run `python -m blueprint.cli synth`)
    python -m tests.mutations.harness --write              # ... and refresh docs/coverage/mutations.json + matrices
    python -m tests.mutations.harness --outdir DIR --json out.json [--only ID ...] [-v]

One process, one import of the test modules: the unmutated synthesis is copied once into a work directory, each
mutant rewrites only the ``cdk.tf.json`` files there, and the catching set runs in-process (``pytest.main``, ``-x``:
the first failing test is the killer) with ``ZTAI_TEST_SYNTH_DIR`` pointing the session fixture at the mutant.

The catching set is every test of the invariant modules and of the map that reads the synthesized JSON (uses the
``synthesized`` fixture), minus the snapshot tests and the drift checks of committed files (both fail on *any*
change, so they prove nothing about a control). A mutation may narrow it to
the tool it exercises (the map, the gate, the drill). The catching set runs unmutated first (the baseline): a test
that fails there is deselected and reported (its failure is the suite's own, not a kill); ``--strict`` refuses to
run instead. Only a failure in a test's call phase counts as a kill; a collection or setup error fails the harness.
"""

from __future__ import annotations

import argparse
import contextlib
import copy
import io
import json
import os
import shutil
import sys
import tempfile
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

PROJECT_ROOT = Path(__file__).resolve().parents[2]
RESULTS = PROJECT_ROOT / "docs" / "coverage" / "mutations.json"
SYNTH_DIR_VARIABLE = "ZTAI_TEST_SYNTH_DIR"  # read by the `synthesized` fixture (tests/conftest.py)
GUARDS = "tests/test_invariants_guards.py"


def catching_modules(root: Path = PROJECT_ROOT) -> tuple[str, ...]:
    """The modules whose tests read the synthesized JSON: every invariant module and the map's tests, the guards last
    (their access matrix is the slowest). Within them only tests that use the ``synthesized`` fixture run."""
    invariants = sorted(p.relative_to(root).as_posix() for p in (root / "tests").glob("test_invariants_*.py")
                        if p.relative_to(root).as_posix() != GUARDS)
    return (*invariants, "tests/test_surface.py", GUARDS)


CATCHING_MODULES = catching_modules()
FIXTURE = "synthesized"  # a test that does not read the synthesis cannot see a mutation of it
# drift checks of committed, generated files: any change fails them, so they are diff aids like the snapshots
NOT_CATCHING = (
    "tests/test_surface.py::test_committed_map_matches_the_code",
    "tests/test_surface.py::test_committed_coverage_matrix_matches_the_code",
    "tests/test_surface.py::test_every_construct_declares_known_controls_and_gaps_are_visible",
)
NEVER_CATCHING_FILES = ("tests/test_snapshots.py", "tests/test_deploy_e2e.py")


@dataclass
class Outcome:
    id: str
    controls: tuple[str, ...]
    description: str
    origin: str
    environments: tuple[str, ...]
    tests: tuple[str, ...]
    changes: dict[str, int]
    status: str  # killed | survived | no-op | error
    killed_by: list[str] = field(default_factory=list)
    message: str = ""
    seconds: float = 0.0

    def record(self) -> dict[str, Any]:
        """What is committed (docs/coverage/mutations.json): no timings, no messages -- stable across runs."""
        return {"id": self.id, "controls": list(self.controls), "description": self.description,
                "origin": self.origin, "environments": list(self.environments), "must_be_caught_by": list(self.tests),
                "status": self.status, "killed_by": self.killed_by}


@dataclass
class Report:
    outcomes: list[Outcome]
    baseline_failures: list[str]
    seconds: float
    baseline_seconds: float
    catching: tuple[str, ...]
    strict: bool = True

    @property
    def ok(self) -> bool:
        """Every mutant killed (and, when strict, nothing failing unmutated)."""
        clean = not self.baseline_failures or not self.strict
        return clean and bool(self.outcomes) and all(o.status == "killed" for o in self.outcomes)

    def document(self) -> dict[str, Any]:
        return {
            "generated_by": "python -m tests.mutations.harness --write",
            "catching_set": list(self.catching),
            "not_catching": [*NEVER_CATCHING_FILES, *NOT_CATCHING],
            "mutations": [o.record() for o in self.outcomes],
        }


class _Recorder:
    """pytest plugin: which tests failed (call phase), and whether anything else went wrong."""

    def __init__(self) -> None:
        self.failed: list[str] = []
        self.errors: list[str] = []
        self.messages: dict[str, str] = {}
        self.collected = 0

    def pytest_collection_modifyitems(self, config: Any, items: list[Any]) -> None:
        unseeing = [item for item in items if FIXTURE not in getattr(item, "fixturenames", ())]
        if unseeing:
            config.hook.pytest_deselected(items=unseeing)
            items[:] = [item for item in items if FIXTURE in getattr(item, "fixturenames", ())]

    def pytest_runtest_logreport(self, report: Any) -> None:
        text = str(getattr(report, "longreprtext", ""))
        lines = [line for line in text.splitlines() if line.startswith("E ")]
        if report.failed and report.when == "call":
            self.failed.append(report.nodeid)
            self.messages[report.nodeid] = (lines[0] if lines else text[-300:]).strip()
        elif report.failed:
            self.errors.append(f"{report.nodeid} ({report.when}): {(lines[0] if lines else text[-500:]).strip()}")

    def pytest_collectreport(self, report: Any) -> None:
        if report.failed:
            self.errors.append(f"collection of {report.nodeid}")

    def pytest_collection_finish(self, session: Any) -> None:
        self.collected = len(session.items)


def _run_pytest(selection: Sequence[str], outdir: Path, *, stop_first: bool, deselect: Sequence[str],
                verbose: bool) -> _Recorder:
    import pytest

    recorder = _Recorder()
    args = [*selection, "-q", "-p", "no:cacheprovider", "--no-header", "-o", "console_output_style=classic"]
    if stop_first:
        args.append("-x")
    for node in [*NOT_CATCHING, *deselect]:
        args += ["--deselect", node]
    os.environ[SYNTH_DIR_VARIABLE] = str(outdir)
    output = io.StringIO()
    with contextlib.redirect_stdout(output):
        code = pytest.main(args, plugins=[recorder])
    if verbose:
        sys.stderr.write(output.getvalue()[-3000:])
    if int(code) not in (0, 1) and not recorder.errors:
        recorder.errors.append(f"pytest exited with {int(code)}: {output.getvalue()[-500:]}")
    if not recorder.collected:
        recorder.errors.append(f"no test collected from {list(selection)}")
    return recorder


def _environments() -> dict[str, Any]:
    from stacks.config.loader import load_all

    return {e.name: e.config for e in load_all(PROJECT_ROOT / "environments", display_root=PROJECT_ROOT)}


def run(base: Path, *, only: Sequence[str] = (), strict: bool = False, verbose: bool = False,
        catching: Sequence[str] = CATCHING_MODULES, say: Any = print) -> Report:
    from tests.mutations.catalogue import CATALOGUE, Target

    started = time.monotonic()
    configs = _environments()
    # the workload environments only: the tests' own synthesis (tests/conftest.py) holds no organization stack, and
    # the tests that list the stacks they see (the gate's) must see the same ones here
    stacks = {env: json.loads((base / "stacks" / env / "cdk.tf.json").read_text(encoding="utf-8"))
              for env in sorted(p.name for p in (base / "stacks").iterdir()
                                if (p / "cdk.tf.json").exists() and p.name in configs)}
    selected = [m for m in CATALOGUE if not only or m.id in only]
    unknown = set(only) - {m.id for m in CATALOGUE}
    if unknown:
        raise SystemExit(f"unknown mutation ids: {sorted(unknown)}")
    with tempfile.TemporaryDirectory(prefix="ztai-mutants-") as scratch:
        work = Path(scratch) / "cdktf.out"
        ignore_patterns = shutil.ignore_patterns(".terraform", "*.tfstate*")

        def ignore(folder: str, names: list[str]) -> set[str]:
            others = {n for n in names if Path(folder) == base / "stacks" and n not in stacks}
            return set(ignore_patterns(folder, names)) | others

        shutil.copytree(base, work, ignore=ignore)
        originals = {env: (work / "stacks" / env / "cdk.tf.json").read_bytes() for env in stacks}
        # 1. the baseline: the catching set passes on the unmutated synthesis
        baseline = _run_pytest([*catching, *{t for m in selected for t in m.tests}], work, stop_first=False,
                               deselect=(), verbose=verbose)
        baseline_seconds = time.monotonic() - started
        if baseline.errors:
            raise SystemExit(f"the unmutated suite does not run: {baseline.errors}")
        deselect = tuple(baseline.failed)
        say(f"baseline: {baseline.collected} tests, {len(baseline.failed)} failing unmutated"
            f"{' (deselected)' if baseline.failed and not strict else ''} in {baseline_seconds:.1f}s")
        for node in baseline.failed:
            say(f"  FAILING UNMUTATED: {node}: {baseline.messages.get(node, '')}")
        if baseline.failed and strict:
            return Report([], list(baseline.failed), time.monotonic() - started, baseline_seconds, tuple(catching))
        outcomes = []
        for mutation in selected:
            began = time.monotonic()
            changes: dict[str, int] = {}
            for env, stack in stacks.items():
                if env not in mutation.environments:
                    continue
                mutated = copy.deepcopy(stack)
                config = configs[env]
                changes[env] = mutation.apply(Target(env, mutated, str(config.account_id), str(config.region)))
                (work / "stacks" / env / "cdk.tf.json").write_text(json.dumps(mutated, indent=2), encoding="utf-8")
            outcome = Outcome(mutation.id, mutation.controls, mutation.description, mutation.origin,
                              mutation.environments, mutation.tests, changes, "no-op")
            missing = [env for env in mutation.environments if not changes.get(env)]
            if missing:
                outcome.message = f"nothing to mutate in {missing}"
            else:
                recorder = _run_pytest(mutation.tests or catching, work, stop_first=True, deselect=deselect,
                                       verbose=verbose)
                if recorder.errors:
                    outcome.status, outcome.message = "error", "; ".join(recorder.errors)
                elif recorder.failed:
                    outcome.status, outcome.killed_by = "killed", recorder.failed[:1]
                    outcome.message = recorder.messages.get(recorder.failed[0], "")
                else:
                    outcome.status = "survived"
                    outcome.message = f"{recorder.collected} tests passed"
            for env, data in originals.items():
                (work / "stacks" / env / "cdk.tf.json").write_bytes(data)
            outcome.seconds = time.monotonic() - began
            outcomes.append(outcome)
            killer = outcome.killed_by[0] if outcome.killed_by else outcome.message
            say(f"  {outcome.status:8} {outcome.id} [{', '.join(outcome.controls)}] {outcome.seconds:.1f}s: {killer}")
    os.environ.pop(SYNTH_DIR_VARIABLE, None)
    return Report(outcomes, list(baseline.failed), time.monotonic() - started, baseline_seconds, tuple(catching),
                  strict)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--outdir", type=Path, default=PROJECT_ROOT / "cdktf.out",
                        help="the unmutated synthesis (default: cdktf.out)")
    parser.add_argument("--json", type=Path, help="write the results here")
    parser.add_argument("--write", action="store_true",
                        help=f"write {RESULTS.relative_to(PROJECT_ROOT)} and regenerate docs/coverage/<env>.md")
    parser.add_argument("--only", nargs="*", default=(), help="run only these mutation ids")
    parser.add_argument("--strict", action="store_true", help="refuse to run when a test fails unmutated")
    parser.add_argument("--catching", nargs="*", default=CATCHING_MODULES,
                        help="the catching set (default: every module that reads the synthesized JSON)")
    parser.add_argument("-v", "--verbose", action="store_true")
    args = parser.parse_args(list(argv) if argv is not None else None)

    os.chdir(PROJECT_ROOT)
    for path in (PROJECT_ROOT, PROJECT_ROOT / "constructs"):
        if str(path) not in sys.path:
            sys.path.insert(0, str(path))
    from stacks import jsii_runtime as runtime

    runtime.prepare()  # the invariant modules import construct classes: the lazy provider import, once
    report = run(args.outdir.resolve(), only=args.only, strict=args.strict, verbose=args.verbose,
                 catching=tuple(args.catching))
    survived = [o for o in report.outcomes if o.status != "killed"]
    print(f"mutation harness: {len(report.outcomes) - len(survived)}/{len(report.outcomes)} mutants killed in "
          f"{report.seconds:.1f}s (baseline {report.baseline_seconds:.1f}s)")
    for outcome in survived:
        print(f"  {outcome.status.upper()}: {outcome.id} [{', '.join(outcome.controls)}]: {outcome.message}")
    document = report.document()
    document["seconds"] = round(report.seconds, 1)
    document["baseline_failures"] = report.baseline_failures
    if args.json:
        args.json.write_text(json.dumps(document, indent=2) + "\n", encoding="utf-8")
    if args.write:
        if not report.ok or args.only or tuple(args.catching) != CATCHING_MODULES:
            print("not writing: every mutant of the whole catalogue must be killed first")
            return 1
        committed = report.document()
        RESULTS.write_text(json.dumps(committed, indent=2) + "\n", encoding="utf-8")
        from blueprint.docs import traceability

        for path in traceability.generate(args.outdir.resolve()):
            print(f"wrote {path.relative_to(PROJECT_ROOT)}")
        print(f"wrote {RESULTS.relative_to(PROJECT_ROOT)}")
    return 0 if report.ok else 1


if __name__ == "__main__":
    sys.exit(main())
