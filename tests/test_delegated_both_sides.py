"""The delegated layout from both sides at once: what each delegating workload stack writes to (synthesized from its
environment file) is what the organization stack builds in the log-archive account (synthesized from
environments/organization.yaml) -- read from the two stacks' JSON, not from the contract both derive their names
from, so a side that stopped using the contract fails here."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest

from stacks.config.loader import load_selection
from stacks.config.model import LoadedEnvironment, LoadedOrganization

PROJECT_ROOT = Path(__file__).resolve().parent.parent
DATA_REF = re.compile(r"\$\{data\.aws_kms_key\.([A-Za-z0-9_]+)\.arn\}")


@pytest.fixture(scope="module")
def both(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict[str, LoadedEnvironment], LoadedOrganization]:
    from stacks.synth import synthesize

    selection = load_selection(PROJECT_ROOT / "environments", display_root=PROJECT_ROOT)
    environments = {e.name: e for e in selection.environments}
    (organization,) = [o for o in selection.organizations if o.name == "organization"]
    outdir = tmp_path_factory.mktemp("both-sides") / "cdktf.out"
    synthesize([environments["staging"], environments["prod"]], outdir, [organization])
    return outdir, environments, organization


def _stack(outdir: Path, name: str) -> dict[str, Any]:
    return dict(json.loads((outdir / "stacks" / name / "cdk.tf.json").read_text(encoding="utf-8")))


def _policy(body: dict[str, Any]) -> dict[str, dict[str, Any]]:
    document = json.loads(body["policy"])
    return {statement["Sid"]: statement for statement in document["Statement"]}


def _in_log_archive(organization_stack: dict[str, Any], type_name: str, key: str, value: str) -> dict[str, Any]:
    """The one resource of ``type_name`` whose ``key`` is ``value``, and the account its provider reaches."""
    (found,) = [body for body in organization_stack["resource"].get(type_name, {}).values() if body.get(key) == value]
    (provider,) = [p for p in organization_stack["provider"]["aws"]
                   if f"aws.{p.get('alias')}" == found.get("provider")]
    found["_account"] = provider["allowed_account_ids"]
    return found


def _policy_of(organization_stack: dict[str, Any], type_name: str, bucket_body: dict[str, Any]) -> dict[str, Any]:
    (name,) = [n for n, b in organization_stack["resource"]["aws_s3_bucket"].items() if b is bucket_body]
    (policy,) = [b for b in organization_stack["resource"][type_name].values()
                 if b["bucket"] == f"${{aws_s3_bucket.{name}.id}}"]
    return _policy(policy)


@pytest.mark.parametrize("env", ["staging", "prod"])
def test_what_the_workload_writes_to_is_what_the_organization_builds(
        both: tuple[Path, dict[str, LoadedEnvironment], LoadedOrganization], env: str) -> None:
    outdir, environments, organization = both
    workload, org = _stack(outdir, env), _stack(outdir, organization.name)
    config = environments[env].config
    log_archive = config.delegated_accounts.log_archive  # type: ignore[union-attr]
    assert [d.environment for d in organization.delegations] == ["prod", "staging"]

    (trail,) = workload["resource"]["aws_cloudtrail"].values()
    archive = _in_log_archive(org, "aws_s3_bucket", "bucket", trail["s3_bucket_name"])
    assert archive["_account"] == [log_archive]
    assert archive["object_lock_enabled"] is True
    trail_arn = f"arn:aws:cloudtrail:{config.region}:{config.account_id}:trail/{trail['name']}"
    statements = _policy_of(org, "aws_s3_bucket_policy", archive)
    write = statements["CloudTrailWrite"]["Condition"]
    assert write["ArnEquals"]["aws:SourceArn"] == trail_arn
    assert write["StringEquals"]["aws:SourceAccount"] == config.account_id
    assert statements["CloudTrailWrite"]["Resource"].endswith(f"/AWSLogs/{config.account_id}/*")

    # the trail's key: read by the alias ARN of the key the organization builds
    (key_source,) = DATA_REF.fullmatch(trail["kms_key_id"]).groups()  # type: ignore[union-attr]
    alias_arn = workload["data"]["aws_kms_key"][key_source]["key_id"]
    assert alias_arn.startswith(f"arn:aws:kms:{config.region}:{log_archive}:alias/")
    alias = _in_log_archive(org, "aws_kms_alias", "name", alias_arn.split(":", 5)[5])
    assert alias["_account"] == [log_archive]

    flow_destinations = {f["log_destination"] for f in workload["resource"]["aws_flow_log"].values()
                         if f["log_destination_type"] == "s3"}
    assert flow_destinations == {f"arn:aws:s3:::{archive['bucket']}"}
    flow = statements["VpcFlowLogsDelivery"]
    assert flow["Condition"]["StringEquals"]["aws:SourceAccount"] == config.account_id
    assert flow["Resource"].endswith(f"/AWSLogs/{config.account_id}/vpcflowlogs/*")

    (lb,) = workload["resource"]["aws_lb"].values()
    access_logs = _in_log_archive(org, "aws_s3_bucket", "bucket", lb["access_logs"]["bucket"])
    assert access_logs["_account"] == [log_archive]
    admitted = [s["Resource"] for sid, s in _policy_of(org, "aws_s3_bucket_policy", access_logs).items()
                if sid.startswith("LoadBalancerLogs")]
    assert admitted and all(r.endswith(f"/{lb['access_logs']['prefix']}/AWSLogs/{config.account_id}/*")
                            for r in admitted), admitted

    # GuardDuty and Security Hub: administered from the account the environment names
    administered = [b for b in org["resource"]["aws_guardduty_organization_admin_account"].values()]
    assert {b["admin_account_id"] for b in administered} == {config.delegated_accounts.security_tooling}  # type: ignore[union-attr]
    assert "aws_guardduty_detector" not in workload["resource"]
    members = {b["account_id"] for b in org["resource"]["aws_securityhub_member"].values()}
    assert config.account_id in members
