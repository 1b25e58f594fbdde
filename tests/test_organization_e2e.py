"""End to end against the real emulator: the organization stack (environments/organization-local.yaml) applies to
moto server, a second plan is empty, the deployed policies are the synthesized ones, and the organization's drill
verdicts (SCP guardrails, RCP data perimeter) are as expected. Own emulator on a free port."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml

from blueprint.deploy import emulator
from stacks.config.loader import load_selection
from stacks.config.model import LoadedOrganization
from tests.conftest import PROJECT_ROOT

pytestmark = [pytest.mark.e2e, pytest.mark.timeout(900)]
STACK = "organization-local"


@pytest.fixture(scope="module")
def deployed(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Path, str, LoadedOrganization]]:
    """A throwaway project root with organization-local (and the local environment it names) pointed at a free
    port; synthesized, emulator running."""
    from stacks.synth import synthesize

    root = tmp_path_factory.mktemp("organization-e2e")
    (root / "environments").mkdir()
    endpoint = f"http://127.0.0.1:{emulator.free_port()}"
    for name in (STACK, "local"):
        data = yaml.safe_load((PROJECT_ROOT / "environments" / f"{name}.yaml").read_text(encoding="utf-8"))
        data["emulator"]["endpoint"] = endpoint
        (root / "environments" / f"{name}.yaml").write_text(yaml.safe_dump(data), encoding="utf-8")
    (organization,) = load_selection(root / "environments", only=[STACK], display_root=root).organizations
    synthesize([], root / "cdktf.out", [organization])
    em = emulator.start(endpoint, state_dir=root / ".emulator")
    try:
        yield root / "cdktf.out" / "stacks" / STACK, endpoint, organization
    finally:
        emulator.stop(em, state_dir=root / ".emulator")
    assert not emulator.healthy(endpoint), "the emulator must be stopped after the tests"


def test_apply_is_idempotent_and_the_deployed_policies_are_the_synthesized_ones(
        deployed: tuple[Path, str, LoadedOrganization]) -> None:
    from blueprint.deploy.organization import deploy
    from blueprint.drill.organization import read_organization
    from blueprint.verify.live import clients

    stack_dir, endpoint, organization = deployed
    result = deploy(stack_dir, fresh_emulator=True)
    assert result.apply_attempts <= 2
    assert (stack_dir.parents[2] / ".state" / f"terraform.{STACK}.tfstate").exists()
    synthesized = json.loads((stack_dir / "cdk.tf.json").read_text(encoding="utf-8"))
    assert result.resources == sum(len(v) for v in synthesized["resource"].values())
    assert result.idempotent, result.plan_tail
    # what the emulator holds: the OU tree, an account per OU, and exactly the synthesized documents at the root
    live = read_organization(clients(endpoint, organization.config.region))
    assert live.management_account_id == organization.config.management_account_id
    units = organization.config.organizational_units
    assert {units.security, units.infrastructure, units.workloads, f"{units.workloads}/local"} == set(live.units)
    assert len(live.accounts_in(f"{units.workloads}/local")) == 1
    assert len(live.accounts_in(units.security)) == 2
    reference = re.compile(r"\$\{aws_organizations_organization\.[\w-]+\.id\}")
    expected: dict[str, list[Any]] = {"SERVICE_CONTROL_POLICY": [], "RESOURCE_CONTROL_POLICY": []}
    for body in synthesized["resource"]["aws_organizations_policy"].values():
        expected[body["type"]].append(json.loads(reference.sub(live.id, body["content"])))
    for policy_type, documents in expected.items():
        attached = live.attached[(live.root_id, policy_type)]
        managed = [d for d in attached if d not in documents]
        assert len(managed) == 1 and managed[0]["Statement"][0]["Effect"] == "Allow"  # FullAWSAccess / RCP...
        assert sorted(map(json.dumps, (d for d in attached if d in documents))) == sorted(map(json.dumps, documents))


def test_organization_drill_verdicts(deployed: tuple[Path, str, LoadedOrganization]) -> None:
    from blueprint.drill.organization import ORGANIZATION, organization_attempts
    from blueprint.drill.policy_eval import Decision
    from blueprint.verify.live import clients

    _, endpoint, organization = deployed
    verdicts: dict[str, tuple[str, str, str]] = {}

    def record(attempt: str, expected: str, decision: Decision, how: str) -> None:
        assert attempt not in verdicts, attempt
        verdicts[attempt] = (expected, "ALLOW" if decision.allowed else "DENY", decision.reason)
        assert how == ORGANIZATION

    organization_attempts(clients(endpoint, organization.config.region), record, organization=organization.config)
    wrong = {attempt: v for attempt, v in verdicts.items() if v[0] != v[1]}
    assert wrong == {}
    assert len(verdicts) >= 25
    # the three attempts, each stopped by the policy type it names
    outside = verdicts["a principal outside the organisation reads a data bucket (its bucket policy grants it)"]
    assert outside[1] == "DENY" and "EnforceOrgIdentities in the RCP" in outside[2]
    trail = verdicts["a workload account admin stops the trail (cloudtrail:StopLogging)"]
    assert trail[1] == "DENY" and "DenyDisablingSecurityServices in the SCP" in trail[2]
    leave = verdicts["a workload account admin leaves the organisation (organizations:LeaveOrganization)"]
    assert leave[1] == "DENY" and "DenyLeavingTheOrganization in the SCP" in leave[2]
    # and the guardrails are not a blanket deny: the same principals keep what the policies do not name
    for allowed in ("a workload account admin reads the trail's events (the guardrails deny only what they name)",
                    "a principal of another member account reads the data bucket (its bucket policy grants it)",
                    "CloudTrail delivers logs for the organisation (aws:SourceOrgID is the organisation's)",
                    "break-glass schedules the deletion of a KMS key (the SCP lets it through)",
                    "the platform deployer changes what the trail records"):
        assert verdicts[allowed][1] == "ALLOW", allowed
    confused = verdicts["an AWS service acting for another organisation writes into the archive (confused deputy)"]
    assert "EnforceConfusedDeputyProtection" in confused[2]
