"""InferenceFleet: the model-serving instances behind the serving load balancer."""

from __future__ import annotations

from typing import TYPE_CHECKING, ClassVar

from cdktf import Fn, TerraformResourceLifecycle, Token
from cdktf_cdktf_provider_aws.autoscaling_group import (
    AutoscalingGroup,
    AutoscalingGroupLaunchTemplate,
    AutoscalingGroupTag,
)
from cdktf_cdktf_provider_aws.iam_instance_profile import IamInstanceProfile
from cdktf_cdktf_provider_aws.launch_template import (
    LaunchTemplate,
    LaunchTemplateBlockDeviceMappings,
    LaunchTemplateBlockDeviceMappingsEbs,
    LaunchTemplateMetadataOptions,
    LaunchTemplateMonitoring,
    LaunchTemplateNetworkInterfaces,
    LaunchTemplateTagSpecifications,
)
from cdktf_cdktf_provider_aws.security_group import SecurityGroup
from cdktf_cdktf_provider_aws.security_group_rule import SecurityGroupRule
from constructs import Construct
from pydantic import BaseModel, ConfigDict, Field

from zero_trust_ai import actions
from zero_trust_ai.base import PlatformConstruct
from zero_trust_ai.platform_key import PlatformKey
from zero_trust_ai.private_network import PrivateNetwork
from zero_trust_ai.serving_load_balancer import ServingLoadBalancer
from zero_trust_ai.workload_role import WorkloadRole

if TYPE_CHECKING:
    from zero_trust_ai.model_egress import ModelEgress


class InferenceFleetProps(BaseModel):
    """Props of :class:`InferenceFleet`."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    name_prefix: str = Field(pattern=r"^[a-z0-9-]{3,40}$")
    account_id: str = Field(pattern=r"^\d{12}$")
    instance_type: str
    image_id: str
    min_size: int = Field(ge=0)
    max_size: int = Field(ge=1)
    target_port: int = Field(ge=1024, le=65535)
    token_settings_path: str = Field(description="SSM path of the token validator settings (user data).")
    root_volume_gb: int = Field(default=200, ge=30, description="Default: 200 GiB for model weights.")
    ignore_tag_specification_drift_reason: str | None = Field(
        default=None, min_length=20, description="Emulator gap only (see stacks/config/emulator_gaps.py).")


class InferenceFleet(PlatformConstruct):
    """An Auto Scaling group in the serving VPC's private subnets, launched from a template with IMDSv2
    required (hop limit 1), no public address, a root volume encrypted with ``volume_key`` and the
    inference role's instance profile. Its security group admits the model-server port from the load
    balancer's security group only, and the load balancer may reach nothing but that port."""

    implements: ClassVar[tuple[str, ...]] = ('ZT-SRV-1', 'ZT-SRV-2')

    def __init__(self, scope: Construct, id: str, *, props: InferenceFleetProps, network: PrivateNetwork,
                 load_balancer: ServingLoadBalancer, role: WorkloadRole, volume_key: PlatformKey,
                 egress: ModelEgress | None = None) -> None:
        """``egress``: default none -- the instances live in the network's private subnets and reach nothing outside
        the VPC. With a :class:`~zero_trust_ai.model_egress.ModelEgress` of the same network they are launched in its
        egress-workload subnets with its workload security group as well, so they can reach its allow-listed
        domains (and still nothing else outside)."""
        super().__init__(scope, id)
        if egress is not None and egress.network is not network:
            raise ValueError(f"InferenceFleet: the egress path {egress.construct_path} belongs to another network "
                             f"than {network.construct_path}")
        prefix = props.name_prefix
        self.security_group = SecurityGroup(
            self, "security_group", name=f"{prefix}-inference", vpc_id=network.vpc_id,
            description="Inference instances: model port from the serving ALB only; HTTPS to endpoints and S3",
            egress=network.endpoint_egress(),
            tags={"Name": f"{prefix}-inference"},
        )
        # Rule resources (not inline blocks): the two groups reference each other.
        SecurityGroupRule(
            self, "from_load_balancer", type="ingress", security_group_id=self.security_group.id, protocol="tcp",
            from_port=props.target_port, to_port=props.target_port,
            source_security_group_id=load_balancer.security_group.id,
            description="Model server port from the serving load balancer only",
        )
        SecurityGroupRule(
            self, "load_balancer_to_targets", type="egress", security_group_id=load_balancer.security_group.id,
            protocol="tcp", from_port=props.target_port, to_port=props.target_port,
            source_security_group_id=self.security_group.id,
            description="Serving ALB to the inference targets only",
        )
        # The Auto Scaling service-linked role launches the instances: it needs the volume key (AWS: "the
        # service-linked role's permissions do not include access to your customer managed keys").
        autoscaling = (f"arn:aws:iam::{props.account_id}:role/aws-service-role/autoscaling.amazonaws.com/"
                       "AWSServiceRoleForAutoScaling")
        volume_key.grant_aws_principal(sid="AutoScalingUsesVolumeKey", principal_arn=autoscaling,
                                       key_actions=actions.KMS_EBS_VOLUMES)
        volume_key.grant_aws_principal(sid="AutoScalingGrantsVolumeKey", principal_arn=autoscaling,
                                       key_actions=("kms:CreateGrant",),
                                       conditions={"Bool": {"kms:GrantIsForAWSResource": "true"}})
        self.instance_profile = IamInstanceProfile(self, "instance_profile", name=f"{prefix}-inference",
                                                   role=role.role.name)
        user_data = (
            "#!/bin/bash\n"
            "# The model server reads its token-validator settings from SSM at start-up\n"
            "# (zero_trust_ai/runtime/token_validator.py: load_settings).\n"
            f"echo 'ZTAI_TOKEN_SETTINGS_PATH={props.token_settings_path}' > /etc/ztai-serving.env\n"
        )
        self.launch_template = LaunchTemplate(
            self, "launch_template", name=f"{prefix}-inference",
            description="Inference: IMDSv2 only, encrypted root volume, no public IP",
            image_id=props.image_id, instance_type=props.instance_type,
            iam_instance_profile={"arn": self.instance_profile.arn},
            metadata_options=LaunchTemplateMetadataOptions(
                http_endpoint="enabled", http_tokens="required", http_put_response_hop_limit=1,
                instance_metadata_tags="disabled"),
            block_device_mappings=[LaunchTemplateBlockDeviceMappings(
                device_name="/dev/xvda",
                ebs=LaunchTemplateBlockDeviceMappingsEbs(encrypted="true", kms_key_id=volume_key.key_arn,
                                                         volume_size=props.root_volume_gb, volume_type="gp3",
                                                         delete_on_termination="true"))],
            network_interfaces=[LaunchTemplateNetworkInterfaces(
                associate_public_ip_address="false",
                security_groups=[self.security_group.id,
                                 *([egress.workload_security_group.id] if egress is not None else [])],
                delete_on_termination="true")],
            monitoring=LaunchTemplateMonitoring(enabled=True),
            user_data=Fn.base64encode(user_data),
            tag_specifications=[LaunchTemplateTagSpecifications(
                resource_type="instance", tags={"Name": f"{prefix}-inference", "ztai:tier": "serving"})],
            lifecycle=TerraformResourceLifecycle(ignore_changes=["tag_specifications"])
            if props.ignore_tag_specification_drift_reason else None,
        )
        self.group = AutoscalingGroup(
            self, "group", name=f"{prefix}-inference", min_size=props.min_size, max_size=props.max_size,
            vpc_zone_identifier=egress.workload_subnet_ids if egress is not None else network.subnet_ids,
            target_group_arns=[load_balancer.target_group.arn],
            health_check_type="ELB", health_check_grace_period=300,
            # A Terraform-managed version, never $Latest/$Default: an edited template (a new version created outside
            # Terraform) must not go live with the inference role (CKV_ZTAI_015).
            launch_template=AutoscalingGroupLaunchTemplate(
                id=self.launch_template.id, version=Token.as_string(self.launch_template.latest_version)),
            tag=[AutoscalingGroupTag(key="ztai:tier", value="serving", propagate_at_launch=True)],
        )
