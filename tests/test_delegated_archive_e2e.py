"""End to end against the real emulator: a DelegatedLogArchive deployed into a second emulated account through an
assume_role provider alias, as the organization stack reaches the log-archive account (moto server is
multi-account: AssumeRole into any account id returns credentials of that account, and the requests made with them
land in it). The apply succeeds, a second plan is empty, and the buckets and key are in the log-archive account, not
in the emulator's default one. Own emulator on a free port."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from blueprint.deploy import emulator
from stacks.config.model import EMULATOR_ACCOUNT_ID

pytestmark = [pytest.mark.e2e, pytest.mark.timeout(900)]
STACK = "delegated-archive"
REGION = "us-east-1"
LOG_ARCHIVE = "555555555555"
WORKLOAD = "333333333333"
ACCESS_ROLE = "OrganizationAccountAccessRole"


def build(root: Path, endpoint: str) -> Path:
    """Synthesize a stack with the emulator's default provider, an alias assuming the access role in the
    log-archive account, and the archive of ``ztai-e2e`` placed with that alias."""
    from cdktf import App, LocalBackend, TerraformStack
    from cdktf_cdktf_provider_aws.provider import AwsProvider, AwsProviderAssumeRole, AwsProviderEndpoints

    from zero_trust_ai.delegated_accounts import DelegatedArchive
    from zero_trust_ai.delegated_log_archive import DelegatedLogArchive, DelegatedLogArchiveProps

    app = App(outdir=str(root / "cdktf.out"))
    stack = TerraformStack(app, STACK)
    LocalBackend(stack, path=f"../../../.state/terraform.{STACK}.tfstate")
    emulated: dict[str, Any] = {
        "region": REGION, "shared_credentials_files": ["../../../.emulator/credentials"], "profile": "ztai-emulator",
        "skip_credentials_validation": True, "skip_metadata_api_check": "true", "skip_region_validation": True,
        "s3_use_path_style": True, "max_retries": 1,
        "endpoints": [AwsProviderEndpoints(**{service: endpoint for service in ("iam", "kms", "s3", "sts")})]}
    AwsProvider(stack, "aws", skip_requesting_account_id=True, **emulated)
    # the alias asks STS who it is (no skip_requesting_account_id): allowed_account_ids then proves the role landed
    # in the log-archive account
    log_archive = AwsProvider(stack, "aws_log_archive", alias="log_archive", allowed_account_ids=[LOG_ARCHIVE],
                              assume_role=[AwsProviderAssumeRole(
                                  role_arn=f"arn:aws:iam::{LOG_ARCHIVE}:role/{ACCESS_ROLE}",
                                  session_name="ztai-organization-stack")], **emulated)
    archive = DelegatedArchive(name_prefix="ztai-e2e", workload_account_id=WORKLOAD,
                               log_archive_account_id=LOG_ARCHIVE, region=REGION)
    DelegatedLogArchive(stack, "archive_e2e", provider=log_archive, props=DelegatedLogArchiveProps(
        archive=archive, object_lock_days=1, deployer_role_arn=f"arn:aws:iam::{LOG_ARCHIVE}:role/{ACCESS_ROLE}",
        force_destroy=True, eventbridge_notifications=False))
    app.synth()
    return root / "cdktf.out" / "stacks" / STACK


@pytest.fixture(scope="module")
def deployed(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Path, str]]:
    root = tmp_path_factory.mktemp("delegated-archive-e2e")
    endpoint = f"http://127.0.0.1:{emulator.free_port()}"
    stack_dir = build(root, endpoint)
    em = emulator.start(endpoint, state_dir=root / ".emulator")
    try:
        yield stack_dir, endpoint
    finally:
        emulator.stop(em, state_dir=root / ".emulator")
    assert not emulator.healthy(endpoint), "the emulator must be stopped after the tests"


def test_the_archive_applies_into_the_log_archive_account_and_a_second_plan_is_empty(
        deployed: tuple[Path, str]) -> None:
    import boto3

    from blueprint.deploy.organization import deploy
    from zero_trust_ai.delegated_accounts import DelegatedArchive

    stack_dir, endpoint = deployed
    result = deploy(stack_dir, fresh_emulator=True)
    synthesized = json.loads((stack_dir / "cdk.tf.json").read_text(encoding="utf-8"))
    assert result.resources == sum(len(v) for v in synthesized["resource"].values())
    assert result.idempotent, result.plan_tail

    def client(service: str, account: str | None) -> Any:
        session = boto3.Session(aws_access_key_id="testing", aws_secret_access_key="testing", region_name=REGION)
        if account is None:
            return session.client(service, endpoint_url=endpoint)
        credentials = session.client("sts", endpoint_url=endpoint).assume_role(
            RoleArn=f"arn:aws:iam::{account}:role/{ACCESS_ROLE}", RoleSessionName="e2e-check")["Credentials"]
        return boto3.Session(aws_access_key_id=credentials["AccessKeyId"],
                             aws_secret_access_key=credentials["SecretAccessKey"],
                             aws_session_token=credentials["SessionToken"],
                             region_name=REGION).client(service, endpoint_url=endpoint)

    archive = DelegatedArchive(name_prefix="ztai-e2e", workload_account_id=WORKLOAD,
                               log_archive_account_id=LOG_ARCHIVE, region=REGION)
    in_log_archive = client("s3", LOG_ARCHIVE)
    names = {bucket["Name"] for bucket in in_log_archive.list_buckets()["Buckets"]}
    assert {archive.archive_bucket_name, archive.access_log_bucket_name} <= names
    assert not names & {b["Name"] for b in client("s3", None).list_buckets()["Buckets"]}  # not in 123456789012
    lock = in_log_archive.get_object_lock_configuration(Bucket=archive.archive_bucket_name)
    retention = lock["ObjectLockConfiguration"]["Rule"]["DefaultRetention"]
    assert (retention["Mode"], retention["Days"]) == ("COMPLIANCE", 1)  # moto adds "Years": 0
    policy = json.loads(in_log_archive.get_bucket_policy(Bucket=archive.archive_bucket_name)["Policy"])
    assert {"CloudTrailWrite", "VpcFlowLogsDelivery", "DenyDeliveringAccountTampering"} <= {
        s["Sid"] for s in policy["Statement"]}
    kms = client("kms", LOG_ARCHIVE)
    key = kms.describe_key(KeyId=archive.key_alias)["KeyMetadata"]
    assert key["Arn"].startswith(f"arn:aws:kms:{REGION}:{LOG_ARCHIVE}:key/")
    assert EMULATOR_ACCOUNT_ID != LOG_ARCHIVE
