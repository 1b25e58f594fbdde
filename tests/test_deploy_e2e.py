"""End to end against the real emulator: apply `local`, second plan is empty, the controls are live,
destroy leaves nothing. Runs terraform, the AWS provider and moto server for real on 127.0.0.1."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest
import yaml

from blueprint.deploy import emulator, terraform
from blueprint.verify.live import clients, prepare_emulator_teardown, verify_environment
from stacks.config import pki
from stacks.config.loader import load_all
from tests.conftest import PROJECT_ROOT

pytestmark = [pytest.mark.e2e, pytest.mark.timeout(900)]


@pytest.fixture(scope="module")
def deployed(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Path, str]]:
    """A throwaway project root with `local` pointed at a free port; synthesized, emulator running."""
    from stacks.synth import synthesize

    root = tmp_path_factory.mktemp("e2e")
    (root / "environments").mkdir()
    data = yaml.safe_load((PROJECT_ROOT / "environments" / "local.yaml").read_text(encoding="utf-8"))
    endpoint = f"http://127.0.0.1:{emulator.free_port()}"
    data["emulator"]["endpoint"] = endpoint
    (root / "environments" / "local.yaml").write_text(yaml.safe_dump(data), encoding="utf-8")
    environments = load_all(root / "environments", display_root=root)
    synthesize(environments, root / "cdktf.out")
    # what `blueprint emulator start` does: the emulator's listener certificate (imported into its ACM)
    pki.prepare_imported_certificate(environments[0].config, root=root)
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
    from blueprint.drill import platform as drill
    from blueprint.drill import response as drill_response

    _, endpoint = deployed
    verdicts = drill.run(endpoint, say=lambda line: None)
    wrong = [(v.attempt, v.actual, v.reason) for v in verdicts if not v.correct]
    assert wrong == []
    attempts = {v.attempt: v for v in verdicts}
    plain_http = "upload into a policy-protected bucket over plain HTTP (real request)"
    for must_deny in ("trainer reads validation/*", plain_http, "upload without TLS (policy check)",
                      "upload without a SHA-256 payload checksum",
                      "assume model-trainer through the IdP without a source identity",
                      "an SSO role session assumes model-trainer (sts:AssumeRole)",
                      "a trainer session without the IdP's MFA tag reads training data",
                      "data engineer writes the model registry",
                      "model-trainer deletes a locked model version (s3:DeleteObjectVersion)",
                      # the doors of the independent review (issue 14)
                      "an account admin (s3:*, kms:* on *) reads validation data",
                      "an account admin decrypts with the validation key directly",
                      "training job credentials used outside the VPC read training data",
                      "model deployer turns mutual TLS off (ModifyListener)",
                      "model deployer writes a new inference launch-template version",
                      "trainer overwrites an existing model key (no If-None-Match)",
                      "break-glass strips the trail-to-cloudwatch role's policy"):
        assert attempts[must_deny].actual == "DENY", must_deny
    for must_allow in ("trainer reads training/*", "trainer writes a new model (create-only upload)",
                       "data engineer writes raw data",
                       "assume model-trainer through the IdP with a source identity (and its session tags)",
                       "training job reads training data from the training VPC",
                       "data engineer uploads with the platform's uploader (signed SHA-256 payload)",
                       "break-glass extends a quarantine (deletes its scheduled release)",
                       "an account admin still administers the validation key (lockout safety)"):
        assert attempts[must_allow].actual == "ALLOW", must_allow
    # the upload the SDK makes by default is the streaming unsigned form, and it is refused
    default_upload = next(v for v in verdicts if v.attempt.startswith("data engineer uploads with the SDK's default"))
    assert "STREAMING-UNSIGNED-PAYLOAD-TRAILER" in default_upload.attempt and default_upload.actual == "DENY"
    # the account admin is stopped by the resource side (bucket perimeter / key policy), not by a missing grant
    admin_read = attempts["an account admin (s3:*, kms:* on *) reads validation data"]
    assert "DenyPrincipalsOutsideTheGrants" in admin_read.reason
    assert attempts[plain_http].how == drill.EMULATOR
    # model APIs (issue 19): decided on the synthesized rules of the environment that configures them
    model_api = [v for v in verdicts if v.attempt.startswith("model APIs (")]
    assert len(model_api) >= 15 and all("synthesized rules of" in v.how for v in model_api)
    # seed step 7: an unsigned caller does not reach serving; tokens are checked with the deployed settings
    token_checks = {v.attempt: v for v in verdicts if v.how == drill_response.TOKENS}
    assert token_checks["unsigned token (alg none) reaches serving"].reason == "rejected: unsigned"
    assert token_checks["expired token reaches serving"].reason == "rejected: expired"
    assert token_checks["invoke-only client updates routing"].reason == "rejected: scope"
    assert token_checks["inference client invokes with a fresh token"].actual == "ALLOW"
    # seed step 6: the deployed quarantine wiring isolates a role, stays idempotent, releases, spares break-glass
    response = {v.attempt: v for v in verdicts if v.how == drill_response.HANDLER}
    assert len(response) == 6 and all(v.correct for v in response.values())
    assert "QuarantineDenyAll" in response[
        "quarantined data engineer writes raw data (session issued after the quarantine)"].reason
    assert "skipped-protected" in response["a finding quarantines the break-glass role"].reason
    # issue 17: the ML lifecycle with each stage's deployed role, each tampering caught by the next stage
    from blueprint.drill import lifecycle

    cycle = {v.attempt.removeprefix("lifecycle: "): v for v in verdicts if v.attempt.startswith("lifecycle: ")}
    assert len(cycle) == 22 and all(v.correct for v in cycle.values())
    honest = [a for a in cycle if a.startswith(("ingestion ", "features verifies", "training verifies",
                                                "release verifies", "serving verifies"))]
    assert len(honest) == 5 and all(cycle[a].actual == "ALLOW" and cycle[a].how == lifecycle.LIFECYCLE
                                    for a in honest)
    refused = {  # tampering attempt -> the check that refused it
        "a features object changed after signing (manifest re-pinned, not re-signed) reaches training":
            "features/drill-", "a raw manifest signed by another key reaches feature engineering": "signature does "
            "not verify with key", "a raw manifest replayed for another dataset reaches feature engineering":
            "replayed manifest refused", "an unsigned model in the registry is released":
            "manifest signature cannot be read", "an unsigned model in the registry is served":
            "releases/", "the features manifest re-pinned to the older version (not re-signed) reaches training":
            "signature does not verify"}
    for attempt, check in refused.items():
        assert cycle[attempt].actual == "DENY" and lifecycle.REFUSED_BY_STAGE in cycle[attempt].reason, attempt
        assert check in cycle[attempt].reason, attempt
    for attempt in ("a raw object changed after signing reaches feature engineering",
                    "a features object swapped for an older version reaches training"):
        assert cycle[attempt].actual == "DENY" and lifecycle.PINNED_READ in cycle[attempt].reason, attempt
    assert "no statement allows it" in cycle["a training job writes a release manifest itself (releases/)"].reason
    records = [v for a, v in cycle.items() if a.startswith("the run record of the ")]
    assert len(records) == 4 and all(v.actual == "ALLOW" and v.how == lifecycle.RUN_RECORDER for v in records)
    assert "DenyOverwritesArchiveRunRecords" in cycle[
        "a run record is overwritten (PutObject without If-None-Match)"].reason
    assert cycle["a job of another queue in the account reaches the run recorder"].actual == "DENY"


def test_drill_policy_decisions_agree_with_an_independent_evaluator(deployed: tuple[Path, str]) -> None:
    """Every policy decision of a drill run is replayed in @cloud-copilot/iam-simulate (tests/parity/): any
    disagreement not explained in tests/parity/known_differences.yaml fails."""
    from blueprint.drill import platform as drill
    from blueprint.drill import policy_eval
    from tests.parity import drill_corpus

    _, endpoint = deployed
    with policy_eval.recording() as entries:
        drill.run(endpoint, say=lambda line: None)
    comparison = drill_corpus.compare(entries)
    assert comparison.total > 20
    assert not comparison.unexplained, "\n".join(str(d) for d in comparison.unexplained)


def test_drill_leaves_the_deployment_unchanged(deployed: tuple[Path, str]) -> None:
    stack_dir, _ = deployed
    plan = terraform.run(stack_dir, ["plan", "-detailed-exitcode", "-input=false", "-no-color"], check=False)
    assert plan.returncode == 0, plan.output[-3000:]


def test_destroy_leaves_nothing_behind(deployed: tuple[Path, str]) -> None:
    stack_dir, endpoint = deployed
    removed = prepare_emulator_teardown(endpoint, "us-east-1", "ztai-local")  # moto gaps, see the function
    assert removed["user_pools"] == 1 and removed["trails"] == 1
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
    assert client("elbv2").describe_load_balancers()["LoadBalancers"] == []
    assert client("lambda").list_functions()["Functions"] == []
    assert client("cloudtrail").describe_trails()["trailList"] == []
    assert client("cognito-idp").list_user_pools(MaxResults=10)["UserPools"] == []
    assert client("autoscaling").describe_auto_scaling_groups()["AutoScalingGroups"] == []


def test_stack_dir_cleanup(deployed: tuple[Path, str]) -> None:
    stack_dir, _ = deployed
    shutil.rmtree(stack_dir / ".terraform", ignore_errors=True)
    assert not (stack_dir / ".terraform").exists()
