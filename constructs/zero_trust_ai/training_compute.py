"""TrainingCompute: isolated GPU training on AWS Batch in the training VPC's private subnets."""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import ClassVar

from cdktf import TerraformResourceLifecycle, Token
from cdktf_cdktf_provider_aws.batch_compute_environment import (
    BatchComputeEnvironment,
    BatchComputeEnvironmentComputeResources,
    BatchComputeEnvironmentComputeResourcesLaunchTemplate,
)
from cdktf_cdktf_provider_aws.batch_job_definition import (
    BatchJobDefinition,
    BatchJobDefinitionRetryStrategy,
    BatchJobDefinitionTimeout,
)
from cdktf_cdktf_provider_aws.batch_job_queue import BatchJobQueue, BatchJobQueueComputeEnvironmentOrder
from cdktf_cdktf_provider_aws.iam_instance_profile import IamInstanceProfile
from cdktf_cdktf_provider_aws.iam_role_policy_attachment import IamRolePolicyAttachment
from cdktf_cdktf_provider_aws.launch_template import (
    LaunchTemplate,
    LaunchTemplateBlockDeviceMappings,
    LaunchTemplateBlockDeviceMappingsEbs,
    LaunchTemplateMetadataOptions,
    LaunchTemplateMonitoring,
    LaunchTemplateTagSpecifications,
)
from constructs import Construct
from pydantic import BaseModel, ConfigDict, Field

from zero_trust_ai import actions
from zero_trust_ai.base import PlatformConstruct
from zero_trust_ai.encrypted_log_group import EncryptedLogGroup, EncryptedLogGroupProps
from zero_trust_ai.platform_key import PlatformKey
from zero_trust_ai.policy import Statement
from zero_trust_ai.private_network import PrivateNetwork
from zero_trust_ai.validation import GpuInstanceType, RetentionDays, TrustOptOutReason
from zero_trust_ai.workload_role import EC2_INSTANCE_PROFILE_REASON, WorkloadRole, WorkloadRoleProps

# AWS-managed service policy for the Batch *service* role (AWS recommends it; it is attached to the
# service's own role, never to a person or a workload that runs user code).
BATCH_SERVICE_POLICY = "arn:aws:iam::aws:policy/service-role/AWSBatchServiceRole"


class TrainingComputeProps(BaseModel):
    """Props of :class:`TrainingCompute`."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    name_prefix: str = Field(pattern=r"^[a-z0-9-]{3,40}$")
    region: str
    account_id: str = Field(pattern=r"^\d{12}$")
    instance_types: Sequence[GpuInstanceType] = Field(min_length=1, description="GPU/accelerator instance types.")
    max_vcpus: int = Field(ge=1)
    log_retention_days: RetentionDays = Field(description="A retention CloudWatch accepts (>= 365 days).")
    root_volume_gb: int = Field(default=200, ge=30, le=16384, description="Default: 200 GB gp3, encrypted.")
    image: str = Field(
        pattern=r"^[^@\s]+@sha256:[0-9a-f]{64}$",
        description="The GPU job definition's container image, pinned by digest (``<repository>@sha256:<64 hex>``). "
        "The job runs as the training job role, which writes the model registry and signs model manifests, so a "
        "movable tag would let whoever pushes it run code with that identity.")
    gpus_per_job: int = Field(default=1, ge=1, le=8)
    job_timeout_seconds: int = Field(default=86400, ge=60, description="Default: 24 h, then the job is killed.")
    ignore_tag_specification_drift_reason: TrustOptOutReason | None = Field(
        default=None,
        description="Ignore drift of the launch template's tag_specifications (e.g. an emulator that reports the "
        "template's own tags there). Default: drift is shown.",
    )


class TrainingCompute(PlatformConstruct):
    """A managed Batch compute environment (min 0 vCPUs: nothing runs, nothing costs, until a job is
    queued), its job queue and a GPU job definition.

    * instances start only in ``network``'s private subnets with its workload security group (no
      ingress; HTTPS to the VPC endpoints and S3 only) and no public IP (the subnets never assign one);
    * the launch template requires IMDSv2 (hop limit 1, so containers cannot reach instance
      credentials) and encrypts the root volume with the training key;
    * the container runs as a non-root user on a read-only root filesystem, never privileged, and its
      stdout/stderr -- every command the job runs -- go to a KMS-encrypted log group;
    * ``job_role`` is the job's own identity (ECS tasks only); grant it data with the bucket grants.
    """

    implements: ClassVar[tuple[str, ...]] = ('ZT-COMP-1',)

    def __init__(self, scope: Construct, id: str, *, props: TrainingComputeProps, network: PrivateNetwork,
                 training_key: PlatformKey, logs_key: PlatformKey) -> None:
        super().__init__(scope, id)
        prefix, region, account = props.name_prefix, props.region, props.account_id
        self.log_group = EncryptedLogGroup(
            self, "job_logs", key=logs_key,
            props=EncryptedLogGroupProps(name=f"/aws/batch/{prefix}-training", region=region, account_id=account,
                                         retention_in_days=props.log_retention_days),
        )
        self.instance_role = WorkloadRole(
            self, "instance_role",
            props=WorkloadRoleProps(
                role_name=f"{prefix}-training-instance", grant_name="TrainingInstance", service="ec2.amazonaws.com",
                account_id=account, description="ECS agent on Batch GPU training instances",
                source_conditions_opt_out_reason=EC2_INSTANCE_PROFILE_REASON,
            ),
        )
        self.instance_role.add_to_policy(Statement(sid="EcsAgent", effect="Allow", actions=actions.ECS_AGENT,
                                                   resources=[f"arn:aws:ecs:{region}:{account}:*"]))
        self.instance_role.add_to_policy(Statement(sid="EcrAuth", effect="Allow", actions=actions.ECR_AUTH))
        self.instance_role.add_to_policy(Statement(
            sid="PullTrainingImages", effect="Allow", actions=actions.ECR_PULL,
            resources=[f"arn:aws:ecr:{region}:{account}:repository/{prefix}-*"]))
        self.instance_role.add_to_policy(Statement(
            sid="WriteJobLogs", effect="Allow", actions=actions.LOGS_WRITE, resources=[f"{self.log_group.arn}:*"]))
        training_key.grant_encrypt_decrypt(self.instance_role, via_service=f"ec2.{region}.amazonaws.com")
        self.instance_profile = IamInstanceProfile(self, "instance_profile", name=f"{prefix}-training-instance",
                                                   role=self.instance_role.role.name)

        self.service_role = WorkloadRole(
            self, "service_role",
            props=WorkloadRoleProps(
                role_name=f"{prefix}-training-batch-service", grant_name="BatchService",
                service="batch.amazonaws.com", account_id=account,
                source_arn_pattern=f"arn:aws:batch:{region}:{account}:*",
                description="AWS Batch manages the training compute environment",
            ),
            has_inline_policy=False,
        )
        service_policy = IamRolePolicyAttachment(self, "service_policy", role=self.service_role.role.name,
                                                 policy_arn=BATCH_SERVICE_POLICY)

        self.job_role = WorkloadRole(
            self, "job_role",
            props=WorkloadRoleProps(
                role_name=f"{prefix}-training-batch-job", grant_name="BatchTrainingJob",
                service="ecs-tasks.amazonaws.com", account_id=account,
                source_arn_pattern=f"arn:aws:ecs:{region}:{account}:*",
                description="Identity of the code inside a Batch training job",
            ),
        )

        self.launch_template = LaunchTemplate(
            self, "launch_template",
            name=f"{prefix}-training-gpu",
            description="Batch GPU training: IMDSv2 only, encrypted root volume, no public IP",
            metadata_options=LaunchTemplateMetadataOptions(
                http_endpoint="enabled", http_tokens="required", http_put_response_hop_limit=1,
                instance_metadata_tags="disabled",
            ),
            block_device_mappings=[LaunchTemplateBlockDeviceMappings(
                device_name="/dev/xvda",
                ebs=LaunchTemplateBlockDeviceMappingsEbs(
                    encrypted="true", kms_key_id=training_key.key_arn, volume_size=props.root_volume_gb,
                    volume_type="gp3", delete_on_termination="true"),
            )],
            monitoring=LaunchTemplateMonitoring(enabled=True),
            tag_specifications=[LaunchTemplateTagSpecifications(
                resource_type="instance", tags={"Name": f"{prefix}-training-gpu", "ztai:tier": "training"})],
            lifecycle=TerraformResourceLifecycle(ignore_changes=["tag_specifications"])
            if props.ignore_tag_specification_drift_reason else None,
        )

        self.compute_environment = BatchComputeEnvironment(
            self, "compute_environment",
            compute_environment_name=f"{prefix}-training-gpu",
            type="MANAGED",
            state="ENABLED",
            service_role=self.service_role.role_arn,
            compute_resources=BatchComputeEnvironmentComputeResources(
                type="EC2",
                allocation_strategy="BEST_FIT_PROGRESSIVE",
                min_vcpus=0,
                max_vcpus=props.max_vcpus,
                instance_type=list(props.instance_types),
                subnets=network.subnet_ids,
                security_group_ids=[network.workload_security_group.id],
                instance_role=self.instance_profile.arn,
                launch_template=BatchComputeEnvironmentComputeResourcesLaunchTemplate(
                    launch_template_id=self.launch_template.id,
                    # pinned: Batch resolves $Latest once, at creation, and hides which version runs
                    version=Token.as_string(self.launch_template.latest_version)),
            ),
            depends_on=[service_policy],
        )
        self.job_queue = BatchJobQueue(
            self, "job_queue", name=f"{prefix}-training", state="ENABLED", priority=1,
            compute_environment_order=[BatchJobQueueComputeEnvironmentOrder(
                order=1, compute_environment=self.compute_environment.arn)],
        )
        container = {
            "image": props.image,
            "command": ["python", "train.py"],
            "jobRoleArn": self.job_role.role_arn,
            "resourceRequirements": [
                {"type": "GPU", "value": str(props.gpus_per_job)},
                {"type": "VCPU", "value": str(4 * props.gpus_per_job)},
                {"type": "MEMORY", "value": str(16384 * props.gpus_per_job)},
            ],
            "readonlyRootFilesystem": True,
            "privileged": False,
            "user": "1000:1000",
            "environment": [],
            "logConfiguration": {"logDriver": "awslogs", "options": {
                "awslogs-group": self.log_group.name, "awslogs-region": region,
                "awslogs-stream-prefix": "training"}},
        }
        self.job_definition = BatchJobDefinition(
            self, "job_definition",
            name=f"{prefix}-training-gpu",
            type="container",
            platform_capabilities=["EC2"],
            propagate_tags=True,
            container_properties=json.dumps(container, separators=(",", ":")),
            retry_strategy=BatchJobDefinitionRetryStrategy(attempts=1),
            timeout=BatchJobDefinitionTimeout(attempt_duration_seconds=props.job_timeout_seconds),
        )
