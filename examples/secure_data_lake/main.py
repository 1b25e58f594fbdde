#!/usr/bin/env python
"""A secure data lake from zero-trust-ai-constructs in a stack of your own.

Per-domain KMS keys (PlatformKeys), the log archive whose access-log sink receives every bucket's server access
logs (LogArchive), the five data buckets (DataLake) and a training role granted exactly its prefixes -- in a plain
cdktf TerraformStack with your own AwsProvider. Run ``python main.py``: the stack is written to ``cdktf.out/`` next
to this file (``cdktf synth`` does the same through cdktf.json).
"""

from __future__ import annotations

from pathlib import Path

from cdktf import App, TerraformOutput, TerraformStack
from cdktf_cdktf_provider_aws.provider import AwsProvider
from constructs import Construct

from zero_trust_ai import (
    DataLake,
    DataLakeProps,
    LogArchive,
    LogArchiveProps,
    PlatformKeys,
    PlatformKeysProps,
    WorkloadRole,
    WorkloadRoleProps,
)

HERE = Path(__file__).resolve().parent
ACCOUNT_ID = "111111111111"  # your account
REGION = "eu-west-1"
PREFIX = "acme-lake"  # every key alias and bucket name starts with it


class SecureDataLakeStack(TerraformStack):
    def __init__(self, scope: Construct, id: str) -> None:
        super().__init__(scope, id)
        AwsProvider(self, "aws", region=REGION, allowed_account_ids=[ACCOUNT_ID],
                    default_tags=[{"tags": {"project": "secure-data-lake-example"}}])

        # One customer-managed key per data domain (rotation on, a key policy that grows only through grants).
        keys = PlatformKeys(self, "keys", props=PlatformKeysProps(name_prefix=PREFIX, account_id=ACCOUNT_ID))
        # Object-Locked archive for trail/flow logs, and the sink that receives the buckets' access logs.
        log_archive = LogArchive(self, "log_archive", props=LogArchiveProps(
            name_prefix=PREFIX, account_id=ACCOUNT_ID, region=REGION, object_lock_days=365), logs_key=keys.logs)
        # raw, features, training, validation and the Object-Locked model registry, each under its own key.
        lake = DataLake(self, "data_lake", props=DataLakeProps(name_prefix=PREFIX, account_id=ACCOUNT_ID),
                        keys=keys, access_log_bucket=log_archive.access_logs)

        # A training workload gets exactly its row of the access table: read features/* and training/*, write
        # models/*, and an explicit Deny on the held-out validation data. Each grant adds the bucket-policy statement
        # and the KMS permission on that bucket's key; every other principal stays outside the bucket's perimeter.
        training_job = WorkloadRole(self, "training_job_role", props=WorkloadRoleProps(
            role_name=f"{PREFIX}-training-job", grant_name="TrainingJob", service="sagemaker.amazonaws.com",
            account_id=ACCOUNT_ID, source_arn_pattern=f"arn:aws:sagemaker:{REGION}:{ACCOUNT_ID}:training-job/*",
            description="SageMaker training jobs of this data lake"))
        lake.buckets["features"].grant_read(training_job, prefix="features/")
        lake.buckets["training"].grant_read(training_job, prefix="training/")
        lake.buckets["models"].grant_write(training_job, prefix="models/")
        lake.buckets["validation"].deny(training_job, prefix="",
                                        reason="held-out validation data must never be visible to training")

        TerraformOutput(self, "model_registry_bucket", value=lake.buckets["models"].bucket_name)
        TerraformOutput(self, "training_job_role_arn", value=training_job.role_arn)


def main() -> None:
    app = App(outdir=str(HERE / "cdktf.out"))
    SecureDataLakeStack(app, "secure-data-lake")
    app.synth()


if __name__ == "__main__":
    main()
