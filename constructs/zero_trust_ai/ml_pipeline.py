"""MlPipeline: the ML lifecycle's stages as workloads -- ingestion, feature engineering, training and release.

Each stage that runs as a job is an AWS Batch job definition on the training compute environment (the training VPC's
private subnets, no egress) with its own identity. What a stage may touch is the stage contract
(``zero_trust_ai.runtime.pipeline.contract.STAGES``): the job definition runs the contract's command with the
contract's environment, and the role may sign / verify with exactly the keys the contract names. Data access (which
bucket prefixes) is granted by the platform from its access table (``platform.ACCESS_TABLE``), through the buckets'
grants, so the seed's table stays one piece of data; a test checks the two agree.

Serving (the fifth stage) is the inference role of the serving fleet, not a job: the platform grants it.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import ClassVar

from cdktf_cdktf_provider_aws.batch_job_definition import (
    BatchJobDefinition,
    BatchJobDefinitionRetryStrategy,
    BatchJobDefinitionTimeout,
)
from constructs import Construct
from pydantic import BaseModel, ConfigDict, Field

from zero_trust_ai.base import PlatformConstruct
from zero_trust_ai.data_lake import DataLake
from zero_trust_ai.platform_keys import PlatformKeys
from zero_trust_ai.private_network import PrivateNetwork
from zero_trust_ai.runtime.pipeline import contract
from zero_trust_ai.signing_key import ManifestSigningKey
from zero_trust_ai.training_compute import TrainingCompute
from zero_trust_ai.workload_role import WorkloadRole, WorkloadRoleProps

# <repository>@sha256:<64 lowercase hex>: the same rule the run recorder applies to what Batch reports
# (zero_trust_ai/runtime/run_recorder/handler.py, PINNED_IMAGE_RE). A tag (":latest", ":v1") can be moved to other
# bytes after review; a digest cannot.
DIGEST_PINNED_IMAGE = r"^[^@\s]+@sha256:[0-9a-f]{64}$"
JOB_STAGES = ("ingestion", "features", "training", "release")
# Settings that name one run (a dataset, a model, where the input files are mounted): given when the job is submitted
# (containerOverrides.environment), recorded by the run recorder. Everything else the contract needs is fixed here.
PER_RUN_ENV = (contract.DATASET_ID, contract.MODEL_ID, contract.INGEST_SOURCE_DIR)


class PipelineImages(BaseModel):
    """The container image of each job stage, pinned by digest (``<repository>@sha256:<64 hex>``)."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    ingestion: str = Field(pattern=DIGEST_PINNED_IMAGE)
    features: str = Field(pattern=DIGEST_PINNED_IMAGE)
    training: str = Field(pattern=DIGEST_PINNED_IMAGE)
    release: str = Field(pattern=DIGEST_PINNED_IMAGE)


class MlPipelineProps(BaseModel):
    """Props of :class:`MlPipeline`."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    name_prefix: str = Field(pattern=r"^[a-z0-9-]{3,40}$")
    region: str
    account_id: str = Field(pattern=r"^\d{12}$")
    images: PipelineImages
    max_session_duration: int = Field(default=3600, ge=900, le=3600, description="Default: one hour.")
    vcpus: int = Field(default=2, ge=1, le=64, description="vCPUs of a CPU stage. Default: 2.")
    memory_mib: int = Field(default=4096, ge=512, description="Memory of a CPU stage. Default: 4 GiB.")
    training_gpus: int = Field(default=1, ge=1, le=8, description="GPUs of the training stage. Default: 1.")
    job_timeout_seconds: int = Field(default=86400, ge=60, description="Default: 24 h, then the job is killed.")


class MlPipeline(PlatformConstruct):
    """Job definitions and identities of the pipeline stages.

    * ``stage_roles``: ingestion, features and release get their own :class:`WorkloadRole` trusted by ECS tasks
      only (AWS Batch on EC2 runs each job as an ECS task; the task role's trust carries ``aws:SourceAccount`` and
      ``aws:SourceArn`` of the ECS task, https://docs.aws.amazon.com/AmazonECS/latest/developerguide/task-iam-roles.html
      "confused deputy" section). Training reuses the training compute's job role (it already holds the training
      rows of the access table); its stage gets a job definition of its own beside the GPU one.
    * each job definition runs the contract's command, image pinned by digest (validated in the props), with the
      contract's environment (deployed bucket names and key ARNs), read-only root filesystem, never privileged, a
      non-root user, logs to the training compute's KMS-encrypted log group;
    * keys: each role may sign / verify with exactly the keys its contract names (the release key only for
      release);
    * every stage role's data access is bound to the training VPC (``bind_data_access_to_networks``).
    """

    implements: ClassVar[tuple[str, ...]] = ('ZT-PIPE-1',)

    def __init__(self, scope: Construct, id: str, *, props: MlPipelineProps, compute: TrainingCompute,
                 data_lake: DataLake, keys: PlatformKeys, network: PrivateNetwork) -> None:
        super().__init__(scope, id)
        self.props = props
        prefix, region, account = props.name_prefix, props.region, props.account_id
        signing: Mapping[str, ManifestSigningKey] = {"manifest": keys.signing, "release": keys.release_signing}
        self.stage_roles: dict[str, WorkloadRole] = {}
        for stage in JOB_STAGES:
            if stage == "training":
                role = compute.job_role
            else:
                role = WorkloadRole(
                    self, f"{stage}_role",
                    props=WorkloadRoleProps(
                        role_name=f"{prefix}-pipeline-{stage}", grant_name=f"Pipeline{stage.title()}",
                        service="ecs-tasks.amazonaws.com", account_id=account,
                        source_arn_pattern=f"arn:aws:ecs:{region}:{account}:*",
                        max_session_duration=props.max_session_duration,
                        description=f"Identity of the {stage} stage's Batch jobs (ECS tasks) of this platform"),
                )
                role.bind_data_access_to_networks([network.vpc_id])
            self.stage_roles[stage] = role
            stage_contract = contract.STAGES[stage]
            if stage_contract.signs_with and stage != "training":  # training's job role already signs (platform)
                signing[stage_contract.signs_with].grant_sign(role)
            for verifies in stage_contract.verifies_with:
                signing[verifies].grant_verify(role)

        values = {
            contract.RAW_BUCKET: data_lake.raw.bucket_name,
            contract.FEATURES_BUCKET: data_lake.features.bucket_name,
            contract.MODELS_BUCKET: data_lake.models.bucket_name,
            contract.MANIFEST_SIGNING_KEY_ID: keys.signing.key_arn,
            contract.RELEASE_SIGNING_KEY_ID: keys.release_signing.key_arn,
        }
        self.job_definitions: dict[str, BatchJobDefinition] = {}
        for stage in JOB_STAGES:
            stage_contract = contract.STAGES[stage]
            unknown = [n for n in stage_contract.required_env if n not in values and n not in PER_RUN_ENV]
            if unknown:
                raise ValueError(f"stage {stage}: no value for the contract's environment {unknown}")
            resources = [{"type": "VCPU", "value": str(props.vcpus)},
                         {"type": "MEMORY", "value": str(props.memory_mib)}]
            if stage == "training":
                resources = [{"type": "GPU", "value": str(props.training_gpus)},
                             {"type": "VCPU", "value": str(4 * props.training_gpus)},
                             {"type": "MEMORY", "value": str(16384 * props.training_gpus)}]
            container = {
                "image": getattr(props.images, stage),
                "command": list(stage_contract.command),
                "jobRoleArn": self.stage_roles[stage].role_arn,
                "resourceRequirements": resources,
                "readonlyRootFilesystem": True,
                "privileged": False,
                "user": "1000:1000",
                "environment": [{"name": name, "value": values[name]}
                                for name in sorted(stage_contract.required_env) if name in values],
                "logConfiguration": {"logDriver": "awslogs", "options": {
                    "awslogs-group": compute.log_group.name, "awslogs-region": region,
                    "awslogs-stream-prefix": f"pipeline-{stage}"}},
            }
            self.job_definitions[stage] = BatchJobDefinition(
                self, f"{stage}_job_definition",
                name=f"{prefix}-pipeline-{stage}",
                type="container",
                platform_capabilities=["EC2"],
                propagate_tags=True,
                container_properties=json.dumps(container, separators=(",", ":")),
                retry_strategy=BatchJobDefinitionRetryStrategy(attempts=1),
                timeout=BatchJobDefinitionTimeout(attempt_duration_seconds=props.job_timeout_seconds),
            )
        self.job_queue_arns = [compute.job_queue.arn]
