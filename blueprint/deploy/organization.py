"""Deploy an organization stack: the emulated one to the local emulator, or adopt a cloud organization's accounts.

    python -m blueprint.deploy.organization local [--keep-emulator]   # organization-local -> emulator, then the drill
    python -m blueprint.deploy.organization adopt organization        # import existing org/accounts, then deploy

Both need a synthesized ``cdktf.out`` (``npx cdktf synth`` or ``python main.py``).

``local`` applies ``cdktf.out/stacks/organization-local`` to the emulator of environments/organization-local.yaml
(the one `local` uses), checks that a second plan is empty and runs the organization's drill attempts
(:mod:`blueprint.drill.organization`). ``adopt`` runs ``terraform import`` for every resource the organization file
adopts (``existing_organization_id``, each ``account_id``) that the state does not hold yet, so the first
``npx cdktf deploy organization`` changes their placement instead of creating accounts.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from blueprint.cli.progress import Mode
from blueprint.deploy import terraform
from stacks.config.model import OrganizationConfig

PROJECT_ROOT = Path(__file__).resolve().parents[2]
EMULATED = "organization-local"


@dataclass
class OrganizationDeploy:
    stack: str
    resources: int
    apply_seconds: float
    apply_attempts: int
    idempotent: bool
    plan_tail: str = ""
    verdicts: list[dict[str, str]] = field(default_factory=list)

    @property
    def wrong(self) -> list[str]:
        return [v["attempt"] for v in self.verdicts if v["expected"] != v["actual"]]


def state_files(stack_dir: Path) -> list[Path]:
    """The local state of the stack (``<project>/.state/terraform.<stack>.tfstate*``)."""
    return sorted((stack_dir.parents[2] / ".state").glob(f"terraform.{stack_dir.name}.tfstate*"))


def deploy(stack_dir: Path, *, fresh_emulator: bool, stream: bool = False, mode: Mode | None = None,
           log_path: Path | None = None) -> OrganizationDeploy:
    """``terraform init`` + ``apply`` of a synthesized organization stack against the emulator, then a second plan
    (``-detailed-exitcode``: 0 = no changes). ``fresh_emulator``: the emulator was just started, so a local state
    left by an earlier emulator process describes nothing and is removed first. With ``mode`` and ``log_path`` the
    apply shows a progress line and terraform's output goes to the log (as the `local` deploy's)."""
    if not (stack_dir / "cdk.tf.json").exists():
        raise FileNotFoundError(f"{stack_dir} is missing: synthesize first (npx cdktf synth)")
    if fresh_emulator:
        for stale in state_files(stack_dir):
            stale.unlink()
    started = time.perf_counter()
    terraform.init(stack_dir, log_path=log_path)
    _, attempts = terraform.apply(stack_dir, stream=stream, attempts=2, mode=mode, log_path=log_path)
    seconds = time.perf_counter() - started
    resources = terraform.state_resources(stack_dir)
    plan = terraform.emulator_plan(stack_dir, log_path=log_path)
    return OrganizationDeploy(stack=stack_dir.name, resources=len(terraform.managed_resources(resources)),
                              apply_seconds=seconds, apply_attempts=attempts, idempotent=plan.returncode == 0,
                              plan_tail=plan.output[-3000:] if plan.returncode else "")


def deploy_and_drill(endpoint: str, *, fresh_emulator: bool, say: Callable[[str], None], mode: Mode | None = None,
                     log_path: Path | None = None) -> OrganizationDeploy:
    """Deploy the synthesized organization-local stack into the running emulator at ``endpoint`` and run the
    organization's drill attempts (:mod:`blueprint.drill.organization`) against the policies read back from it;
    ``say`` gets one line per verdict."""
    from blueprint.drill import organization as drill_organization
    from blueprint.verify.live import clients
    from stacks.config.loader import load_selection

    (organization,) = load_selection(PROJECT_ROOT / "environments", only=[EMULATED],
                                     display_root=PROJECT_ROOT).organizations
    assert organization.config.emulator is not None
    if organization.config.emulator.endpoint != endpoint:  # its provider was synthesized for that endpoint
        raise ValueError(f"environments/{EMULATED}.yaml: emulator.endpoint = "
                         f"{organization.config.emulator.endpoint!r}, but the emulator runs at {endpoint!r}. Fix: give "
                         "both files the same endpoint (the organization deploys into local's emulator)")
    result = deploy(PROJECT_ROOT / "cdktf.out" / "stacks" / EMULATED, fresh_emulator=fresh_emulator,
                    stream=mode is None, mode=mode, log_path=log_path)

    def record(attempt: str, expected: str, decision: Any, how: str) -> None:
        actual = "ALLOW" if decision.allowed else "DENY"
        result.verdicts.append({"attempt": attempt, "expected": expected, "actual": actual, "how": how,
                                "reason": decision.reason})
        say(f"  [{'ok' if actual == expected else 'WRONG'}] {attempt}: expected {expected}, got {actual} "
            f"({decision.reason})")

    drill_organization.organization_attempts(clients(endpoint, organization.config.region), record,
                                             organization=organization.config)
    return result


def adoptions(stack_document: dict[str, Any], config: OrganizationConfig) -> dict[str, str]:
    """Terraform address -> id of every resource ``config`` adopts, found in the synthesized stack (accounts by their
    configured e-mail, which is unique per account)."""
    found: dict[str, str] = {}
    resources = stack_document.get("resource", {})
    if config.existing_organization_id:
        (name,) = resources["aws_organizations_organization"]
        found[f"aws_organizations_organization.{name}"] = config.existing_organization_id
    by_email = {body["email"].lower(): name for name, body in resources.get("aws_organizations_account", {}).items()}
    for account in config.member_accounts().values():
        if account.account_id:
            found[f"aws_organizations_account.{by_email[account.email.lower()]}"] = account.account_id
    return found


def adopt(stack_dir: Path, config: OrganizationConfig, say: Callable[[str], None] = print) -> list[str]:
    """``terraform import`` every adopted resource the state does not hold yet. Returns the imported addresses."""
    document = json.loads((stack_dir / "cdk.tf.json").read_text(encoding="utf-8"))
    terraform.init(stack_dir)
    held = set(terraform.state_resources(stack_dir))
    imported = []
    for address, resource_id in sorted(adoptions(document, config).items()):
        if address in held:
            continue
        say(f"importing {resource_id} into {address}")
        terraform.run(stack_dir, ["import", "-input=false", "-no-color", address, resource_id])
        imported.append(address)
    return imported


def deploy_local(*, keep_emulator: bool, say: Callable[[str], None] = print) -> OrganizationDeploy:
    """Deploy the synthesized organization-local stack to its emulator and run the drill. An emulator already
    running there is reused and left running; one started here is stopped unless ``keep_emulator``."""
    from blueprint.deploy import emulator
    from stacks.config.loader import load_selection

    (organization,) = load_selection(PROJECT_ROOT / "environments", only=[EMULATED],
                                     display_root=PROJECT_ROOT).organizations
    assert organization.config.emulator is not None
    endpoint = organization.config.emulator.endpoint
    running = emulator.healthy(endpoint)
    em = emulator.start(endpoint)
    try:
        return deploy_and_drill(endpoint, fresh_emulator=not running, say=say)
    finally:
        if not keep_emulator and not running:  # an emulator that was already running (e.g. `local`'s) stays up
            emulator.stop(em)


def main(argv: Sequence[str] | None = None) -> int:
    sys.path.insert(0, str(PROJECT_ROOT / "constructs"))
    parser = argparse.ArgumentParser(prog="python -m blueprint.deploy.organization", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = parser.add_subparsers(dest="command", required=True)
    local = sub.add_parser("local", help="deploy organization-local to the emulator, second plan, drill")
    local.add_argument("--keep-emulator", action="store_true")
    adopt_parser = sub.add_parser("adopt", help="import the existing organization/accounts a file adopts")
    adopt_parser.add_argument("name", nargs="?", default="organization",
                              help="organization file (default: %(default)s)")
    args = parser.parse_args(argv)
    from stacks.config.loader import ConfigError, load_selection

    try:
        if args.command == "local":
            result = deploy_local(keep_emulator=args.keep_emulator, say=lambda line: print(line, file=sys.stderr))
            summary = {k: v for k, v in result.__dict__.items() if k != "verdicts"}
            print(json.dumps({**summary, "verdicts": len(result.verdicts), "wrong": result.wrong}, indent=2))
            return 0 if result.idempotent and result.verdicts and not result.wrong else 1
        organizations = load_selection(PROJECT_ROOT / "environments", only=[args.name],
                                       display_root=PROJECT_ROOT).organizations
        if not organizations:
            print(f"  - {args.name}: not an organization file (environments/organization*.yaml)", file=sys.stderr)
            return 2
        (organization,) = organizations
        imported = adopt(PROJECT_ROOT / "cdktf.out" / "stacks" / args.name, organization.config,
                         say=lambda line: print(line, file=sys.stderr))
        print(json.dumps({"imported": imported}, indent=2))
        return 0
    except ConfigError as exc:
        for problem in exc.problems:
            print(f"  - {problem}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
