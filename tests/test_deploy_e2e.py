"""End to end against the real emulator: apply `local`, second plan is empty, the controls are live,
destroy leaves nothing. Runs terraform, the AWS provider and moto server for real on 127.0.0.1."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest
import yaml

from blueprint import emulator, terraform
from blueprint.loader import load_all
from blueprint.verify import clients, empty_buckets, verify_environment
from tests.conftest import PROJECT_ROOT

pytestmark = [pytest.mark.e2e, pytest.mark.timeout(900)]


@pytest.fixture(scope="module")
def deployed(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Path, str]]:
    """A throwaway project root with `local` pointed at a free port; synthesized, emulator running."""
    from blueprint.synth import synthesize

    root = tmp_path_factory.mktemp("e2e")
    (root / "environments").mkdir()
    data = yaml.safe_load((PROJECT_ROOT / "environments" / "local.yaml").read_text(encoding="utf-8"))
    endpoint = f"http://127.0.0.1:{emulator.free_port()}"
    data["emulator"]["endpoint"] = endpoint
    (root / "environments" / "local.yaml").write_text(yaml.safe_dump(data), encoding="utf-8")
    environments = load_all(root / "environments", display_root=root)
    synthesize(environments, root / "cdktf.out")
    em = emulator.start(endpoint, state_dir=root / ".emulator")
    try:
        yield root / "cdktf.out" / "stacks" / "local", endpoint
    finally:
        emulator.stop(em, state_dir=root / ".emulator")
    assert not emulator.healthy(endpoint), "the emulator must be stopped after the tests"


def test_apply_is_idempotent_and_controls_are_live(deployed: tuple[Path, str]) -> None:
    stack_dir, endpoint = deployed
    terraform.init(stack_dir)
    _, attempts = terraform.apply(stack_dir, attempts=2)
    assert attempts <= 2
    assert (stack_dir.parents[2] / ".state" / "terraform.local.tfstate").exists()
    resources = terraform.state_resources(stack_dir)
    assert len(resources) > 100
    plan = terraform.run(stack_dir, ["plan", "-detailed-exitcode", "-input=false", "-no-color"], check=False)
    assert plan.returncode == 0, plan.output[-3000:]
    results = verify_environment(endpoint, "us-east-1", "ztai-local")
    failed = [r for r in results if not r.passed]
    assert len(results) > 50 and failed == []


def test_red_team_drill_verdicts(deployed: tuple[Path, str]) -> None:
    from blueprint import drill

    _, endpoint = deployed
    verdicts = drill.run(endpoint, say=lambda line: None)
    wrong = [(v.attempt, v.actual, v.reason) for v in verdicts if not v.correct]
    assert wrong == []
    attempts = {v.attempt: v for v in verdicts}
    for must_deny in ("trainer reads validation/*", "upload without TLS (real request over HTTP)",
                      "upload without a SHA-256 payload checksum", "assume model-trainer without MFA",
                      "data engineer writes the model registry",
                      "model-trainer deletes a locked model version (s3:DeleteObjectVersion)"):
        assert attempts[must_deny].actual == "DENY", must_deny
    for must_allow in ("trainer reads training/*", "trainer writes a model", "data engineer writes raw data"):
        assert attempts[must_allow].actual == "ALLOW", must_allow
    assert attempts["upload without TLS (real request over HTTP)"].how == drill.EMULATOR


def test_destroy_leaves_nothing_behind(deployed: tuple[Path, str]) -> None:
    stack_dir, endpoint = deployed
    empty_buckets(endpoint, "us-east-1", "ztai-local")
    terraform.run(stack_dir, ["destroy", "-auto-approve", "-input=false", "-no-color"])
    assert terraform.state_resources(stack_dir) == []
    client = clients(endpoint, "us-east-1")
    assert [b["Name"] for b in client("s3").list_buckets()["Buckets"] if b["Name"].startswith("ztai-")] == []
    ec2 = client("ec2")
    vpcs = [v for v in ec2.describe_vpcs()["Vpcs"] if not v.get("IsDefault")]
    assert vpcs == []
    # deleted endpoints stay listed with State "deleted" for a while, as in AWS
    assert [e["VpcEndpointId"] for e in ec2.describe_vpc_endpoints()["VpcEndpoints"]
            if e["State"].lower() != "deleted"] == []
    assert client("iam").list_roles()["Roles"] == [] or all(
        not r["RoleName"].startswith("ztai-") for r in client("iam").list_roles()["Roles"])
    kms = client("kms")
    live_keys = [k for k in kms.list_keys()["Keys"]
                 if kms.describe_key(KeyId=k["KeyId"])["KeyMetadata"]["KeyState"] != "PendingDeletion"]
    assert live_keys == []
    assert [a for a in kms.list_aliases()["Aliases"] if a["AliasName"].startswith("alias/ztai-")] == []


def test_stack_dir_cleanup(deployed: tuple[Path, str]) -> None:
    stack_dir, _ = deployed
    shutil.rmtree(stack_dir / ".terraform", ignore_errors=True)
    assert not (stack_dir / ".terraform").exists()
