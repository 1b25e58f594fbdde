"""Command line of the toolkit: ``python -m blueprint.cli <command>``.

``main-job`` is what the README's first command runs: synthesize every environment, run the policy
gate, deploy ``local`` to the emulator, verify it, and print a summary.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from collections import Counter
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from blueprint.loader import ConfigError, load_all

PROJECT_ROOT = Path(__file__).resolve().parent.parent
OUTDIR = PROJECT_ROOT / "cdktf.out"
STATE_DIR = PROJECT_ROOT / ".state"


def _say(message: str) -> None:
    print(f"[ztai] {message}", file=sys.stderr, flush=True)


def cmd_synth(environments: Sequence[str] | None) -> dict[str, Any]:
    from blueprint.synth import synthesize

    started = time.perf_counter()
    loaded = load_all(PROJECT_ROOT / "environments", only=environments, display_root=PROJECT_ROOT)
    synthesize(loaded, OUTDIR)
    counts = {}
    for env in loaded:
        document = json.loads((OUTDIR / "stacks" / env.name / "cdk.tf.json").read_text(encoding="utf-8"))
        counts[env.name] = sum(len(v) for v in document.get("resource", {}).values())
    seconds = time.perf_counter() - started
    _say(
        f"synthesized {len(loaded)} environment(s) in {seconds:.1f}s: "
        + ", ".join(f"{name} ({count} resources)" for name, count in counts.items())
    )
    return {"seconds": seconds, "resources": counts}


def cmd_gate(environments: Sequence[str] | None) -> dict[str, Any]:
    from blueprint import gate

    result = gate.evaluate(OUTDIR, environments=environments)
    paths = gate.write_reports(result, PROJECT_ROOT / "reports" / "policy-gate")
    print(gate.summary_text(result), file=sys.stderr)
    return {
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


def cmd_deploy_local(*, keep_emulator: bool) -> dict[str, Any]:
    from blueprint import emulator, pki, terraform
    from blueprint.emulator_gaps import CAPABILITY_SWITCHES, GAPS
    from blueprint.verify import verify_environment

    (local,) = load_all(PROJECT_ROOT / "environments", only=["local"], display_root=PROJECT_ROOT)
    assert local.config.emulator is not None
    endpoint = local.config.emulator.endpoint
    stack_dir = OUTDIR / "stacks" / "local"
    if not (stack_dir / "cdk.tf.json").exists():
        raise FileNotFoundError("cdktf.out/stacks/local is missing: synthesize first")
    already_running = emulator.healthy(endpoint)
    pki.prepare_imported_certificate(local.config)
    em = emulator.start(endpoint)
    _say(f"emulator {'reused' if already_running else 'started'} at {em.endpoint} (moto server)")
    try:
        if not already_running:
            # A new emulator is empty: state from an earlier emulator process describes nothing.
            for stale in STATE_DIR.glob("terraform.local.tfstate*"):
                stale.unlink()
        started = time.perf_counter()
        terraform.init(stack_dir)
        _say("terraform apply (progress below)")
        _, apply_attempts = terraform.apply(stack_dir, stream=True, attempts=2)
        apply_seconds = time.perf_counter() - started
        resources = terraform.state_resources(stack_dir)
        plan = terraform.run(stack_dir, ["plan", "-detailed-exitcode", "-input=false", "-no-color"], check=False)
        idempotent = plan.returncode == 0
        _say(f"second plan: {'no changes' if idempotent else 'CHANGES PENDING (not idempotent)'}")
        verify_started = time.perf_counter()
        checks = verify_environment(endpoint, local.config.region, "ztai-local")
        verify_seconds = time.perf_counter() - verify_started
        failed = [c for c in checks if not c.passed]
        for check in failed:
            _say(f"VERIFY FAIL {check.name}: {check.detail}")
        from blueprint import drill

        _say("red-team drill")
        drill_started = time.perf_counter()
        verdicts = drill.run(
            endpoint,
            local.config.region,
            "ztai-local",
            local.config.account_id,
            say=lambda line: print(line, file=sys.stderr),
        )
        print(drill.summarize(verdicts), file=sys.stderr)
        drill_seconds = time.perf_counter() - drill_started
        controls: dict[str, list[bool]] = {}
        for check in checks:
            controls.setdefault(check.name.split(": ", 1)[-1], []).append(check.passed)
        return {
            "endpoint": endpoint,
            "resources": len(resources),
            "apply_seconds": apply_seconds,
            "apply_attempts": apply_attempts,
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
            "capability_switches": [g.control for g in CAPABILITY_SWITCHES],
            "emulator_gaps": [{"control": g.control, "handling": g.handling} for g in GAPS],
        }
    finally:
        if keep_emulator:
            _say(f"emulator left running at {endpoint} (stop: python -m blueprint.cli emulator stop)")
        else:
            emulator.stop(em)


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
    summary["gate"] = cmd_gate(None)
    if not args.skip_deploy:
        summary["deploy_local"] = cmd_deploy_local(keep_emulator=args.keep_emulator)
    summary["total_seconds"] = time.perf_counter() - started
    ok = summary["gate"]["ok"] and (
        args.skip_deploy
        or (summary["deploy_local"]["idempotent"] and summary["deploy_local"]["verify_failed"] == 0
            and not summary["deploy_local"]["drill_wrong"])
    )
    summary["ok"] = ok
    reports = PROJECT_ROOT / "reports"
    reports.mkdir(exist_ok=True)
    (reports / "main-job.json").write_text(json.dumps(summary, indent=2) + "\n", encoding="utf-8")
    print(render_summary(summary))
    return 0 if ok else 1


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
        lines += [
            f"deploy     : local -> {deploy['endpoint']}: {deploy['resources']} resources applied in "
            f"{deploy['apply_seconds']:.0f}s ({deploy['apply_attempts']} attempt(s)); second plan "
            + ("clean (idempotent)" if deploy["idempotent"] else "NOT clean"),
            f"verify     : {deploy['verify_passed']} live checks passed, {deploy['verify_failed']} failed in "
            f"{deploy['verify_seconds']:.1f}s"
            + (f" ({', '.join(deploy['failed_checks'])})" if deploy["failed_checks"] else ""),
            *[f"             {result:>5}  {name}" for name, result in deploy["controls_verified"].items()],
            f"drill      : {deploy['drill_total'] - len(deploy['drill_wrong'])}/{deploy['drill_total']} verdicts as "
            f"expected in {deploy['drill_seconds']:.1f}s"
            + (f" -- WRONG: {', '.join(deploy['drill_wrong'])}" if deploy["drill_wrong"] else ""),
            *[f"             {count:>5}  {how}" for how, count in deploy["drill_by_method"].items()],
            "capability switches (controls `local` does not deploy; named in its emulator_capability_gaps output):",
            *[f"  - {control}" for control in deploy["capability_switches"]],
            "emulator gaps (controls handled differently in `local`):",
            *[f"  - {g['control']}: {g['handling']}" for g in deploy["emulator_gaps"]],
        ]
    else:
        lines.append("deploy     : skipped (--skip-deploy)")
    lines.append(f"result     : {'OK' if summary['ok'] else 'FAILED'} in {summary['total_seconds']:.0f}s")
    return "\n".join(lines)


def main(argv: Sequence[str] | None = None) -> int:
    sys.path.insert(0, str(PROJECT_ROOT / "constructs"))
    parser = argparse.ArgumentParser(prog="python -m blueprint.cli", description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True)
    job = sub.add_parser("main-job", help="synth all, policy gate, deploy + verify local, summary")
    job.add_argument("--skip-deploy", action="store_true", help="stop after the policy gate")
    job.add_argument("--keep-emulator", action="store_true", help="leave moto running for exploring")
    synth = sub.add_parser("synth", help="validate and synthesize environments")
    synth.add_argument("--environments", help="comma-separated subset (default: all)")
    sub.add_parser("gate", help="run the checkov policy gate over cdktf.out")
    deploy = sub.add_parser("deploy-local", help="deploy the synthesized local stack to the emulator and verify")
    deploy.add_argument("--keep-emulator", action="store_true")
    emu = sub.add_parser("emulator", help="start or stop the local emulator")
    emu.add_argument("action", choices=["start", "stop"])
    args = parser.parse_args(argv)
    try:
        if args.command == "main-job":
            return cmd_main_job(args)
        if args.command == "synth":
            envs = [e for e in (args.environments or "").split(",") if e] or None
            cmd_synth(envs)
            return 0
        if args.command == "gate":
            return 0 if cmd_gate(None)["ok"] else 1
        if args.command == "deploy-local":
            result = cmd_deploy_local(keep_emulator=args.keep_emulator)
            print(json.dumps(result, indent=2))
            return 0 if result["idempotent"] and not result["verify_failed"] and not result["drill_wrong"] else 1
        if args.command == "emulator":
            return _emulator(args.action)
    except ConfigError as exc:
        for problem in exc.problems:
            print(f"  - {problem}", file=sys.stderr)
        _say("configuration error: nothing was synthesized")
        return 2
    return 1


def _emulator(action: str) -> int:
    from blueprint import emulator, pki

    (local,) = load_all(PROJECT_ROOT / "environments", only=["local"], display_root=PROJECT_ROOT)
    assert local.config.emulator is not None
    endpoint = local.config.emulator.endpoint
    if action == "start":
        pki.prepare_imported_certificate(local.config)
        em = emulator.start(endpoint)
        _say(f"emulator running at {em.endpoint} (pid {em.pid}); deploy with: npx cdktf deploy local --auto-approve")
        return 0
    port = int(endpoint.rsplit(":", 1)[1])
    _say("emulator stopped" if emulator.stop(port=port) else "no emulator was running")
    return 0


if __name__ == "__main__":
    sys.exit(main())
