"""PrivateNetwork: an isolated VPC with private subnets only, reaching AWS through VPC endpoints."""

from __future__ import annotations

import ipaddress
import re
import weakref
from collections.abc import Sequence
from typing import ClassVar

from cdktf import TerraformStack, Token
from cdktf_cdktf_provider_aws.default_network_acl import DefaultNetworkAcl
from cdktf_cdktf_provider_aws.default_route_table import DefaultRouteTable
from cdktf_cdktf_provider_aws.default_security_group import DefaultSecurityGroup
from cdktf_cdktf_provider_aws.flow_log import FlowLog
from cdktf_cdktf_provider_aws.network_acl import NetworkAcl, NetworkAclEgress, NetworkAclIngress
from cdktf_cdktf_provider_aws.route_table import RouteTable
from cdktf_cdktf_provider_aws.route_table_association import RouteTableAssociation
from cdktf_cdktf_provider_aws.security_group import SecurityGroup, SecurityGroupEgress, SecurityGroupIngress
from cdktf_cdktf_provider_aws.subnet import Subnet
from cdktf_cdktf_provider_aws.vpc import Vpc
from cdktf_cdktf_provider_aws.vpc_endpoint import VpcEndpoint
from constructs import Construct
from pydantic import BaseModel, ConfigDict, Field, model_validator

from zero_trust_ai import actions, validation
from zero_trust_ai.base import PlatformConstruct
from zero_trust_ai.encrypted_log_group import EncryptedLogGroup, EncryptedLogGroupProps
from zero_trust_ai.evidence_destinations import LogBucket
from zero_trust_ai.platform_key import PlatformKey
from zero_trust_ai.policy import PolicyDocument, Statement
from zero_trust_ai.validation import PrivateCidr, RetentionDays
from zero_trust_ai.workload_role import WorkloadRole, WorkloadRoleProps

DEFAULT_INTERFACE_ENDPOINTS = ("sts", "kms", "logs", "ecr.api", "ecr.dkr", "sagemaker.api", "sagemaker.runtime")
# Extra endpoints for a VPC that runs AWS Batch on EC2 (the ECS agent on each instance).
BATCH_INTERFACE_ENDPOINTS = ("ecs", "ecs-agent", "ecs-telemetry")
# The CIDRs of the PrivateNetworks created so far, per stack (PrivateNetwork refuses overlapping siblings).
_NETWORKS_BY_STACK: weakref.WeakKeyDictionary[TerraformStack, dict[str, str]] = weakref.WeakKeyDictionary()


class PrivateNetworkProps(BaseModel):
    """Props of :class:`PrivateNetwork`."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    name: str = Field(pattern=r"^[a-z0-9-]{3,40}$", description="Name tag prefix, e.g. ``ztai-prod-training``.")
    cidr_block: PrivateCidr = Field(description="Private (RFC 1918) IPv4 CIDR of /16../24; it must not overlap "
                                    "another PrivateNetwork of the same stack (the VPCs are segmented).")
    availability_zones: Sequence[str] = Field(min_length=1, description="One private subnet per zone (of region).")
    subnet_prefix_length: int = Field(ge=16, le=28)
    region: str
    account_id: str = Field(pattern=r"^\d{12}$")
    interface_endpoints: Sequence[str] = Field(
        default=DEFAULT_INTERFACE_ENDPOINTS,
        description="Interface endpoint service suffixes. Default: STS, KMS, Logs, ECR api/dkr, SageMaker api/runtime.",
    )
    allowed_bucket_patterns: Sequence[str] = Field(
        min_length=1, description="Bucket name patterns the S3 gateway endpoint lets workloads reach (``ztai-prod-*``)."
    )
    organization_id: str | None = Field(
        default=None,
        description="The AWS Organization the account belongs to (``o-...``, or a Terraform reference to one): every "
        "endpoint then admits only the organisation's principals (aws:PrincipalOrgID) reaching the organisation's "
        "resources (aws:ResourceOrgID), besides the AWS-owned exceptions. Default: none -- a single-account "
        "environment, whose endpoints are bound to this account.")
    flow_log_aggregation_seconds: int = Field(default=60, description="60 or 600; default 60 for faster detection.")
    log_retention_days: RetentionDays = Field(default=365, description="Retention of the CloudWatch flow-log group.")

    @model_validator(mode="after")
    def _subnets_fit(self) -> PrivateNetworkProps:
        if (self.organization_id is not None and not Token.is_unresolved(self.organization_id)
                and not re.fullmatch(r"o-[a-z0-9]{10,32}", self.organization_id)):
            raise validation.InvalidInput(
                f"organization_id {self.organization_id!r} is not an AWS Organizations id",
                fix="give the id of the organization (o- and 10 to 32 lower-case letters or digits) or a reference "
                    "to it, e.g. the id of an aws_organizations_organization data source", field=("organization_id",))
        if self.flow_log_aggregation_seconds not in (60, 600):
            raise validation.InvalidInput(
                f"flow_log_aggregation_seconds {self.flow_log_aggregation_seconds} is not one VPC flow logs accept",
                fix="use 60 (the default, faster detection) or 600")
        validation.listed_once(list(self.availability_zones), what="an availability zone",
                               fix="list each AZ once")
        for zone in self.availability_zones:
            validation.zone_in_region(zone, self.region)
        network = ipaddress.ip_network(self.cidr_block)
        validation.subnet_prefix_fits("cidr_block", network, self.subnet_prefix_length)
        validation.subnets_for_zones([network], self.subnet_prefix_length, len(self.availability_zones))
        return self


class PrivateNetwork(PlatformConstruct):
    """A VPC with no internet gateway, no NAT and no public IPs.

    * one private subnet per AZ, sharing one route table whose only non-local route is the S3 gateway
      endpoint's prefix list;
    * the default security group is emptied and the default NACL denies everything; subnets use a NACL
      that admits VPC-internal traffic and HTTPS towards the endpoints only;
    * interface endpoints for AWS APIs, each behind a security group that admits 443 from the VPC CIDR
      only, each with an endpoint policy limited to this account (and, for S3, the platform's buckets);
    * flow logs (ALL traffic) delivered to ``flow_log_archive`` (the log archive: this account's, or the
      organization's -- any :class:`~zero_trust_ai.evidence_destinations.LogBucket`), and a copy to CloudWatch Logs.

    ``workload_security_group`` is the group for compute in this VPC: no ingress, egress 443 to the
    endpoints and the S3 prefix list only.
    """

    implements: ClassVar[tuple[str, ...]] = ('ZT-NET-1', 'ZT-NET-2', 'ZT-NET-3')

    def _segment_from_siblings(self) -> None:
        """Refuse a CIDR that overlaps another PrivateNetwork of the same stack: segmentation is the point."""
        networks = _NETWORKS_BY_STACK.setdefault(TerraformStack.of(self), {})
        validation.disjoint_networks({**networks, f"the cidr_block of {self.construct_path}": self.props.cidr_block},
                                     fix="give each PrivateNetwork of a stack its own, non-overlapping range")
        networks[f"the cidr_block of {self.construct_path}"] = self.props.cidr_block

    def __init__(
        self, scope: Construct, id: str, *, props: PrivateNetworkProps, flow_log_archive: LogBucket,
        logs_key: PlatformKey,
    ) -> None:
        super().__init__(scope, id)
        self.props = props
        self._segment_from_siblings()
        network = ipaddress.ip_network(props.cidr_block)
        self.vpc = Vpc(
            self,
            "vpc",
            cidr_block=props.cidr_block,
            enable_dns_hostnames=True,
            enable_dns_support=True,
            tags={"Name": props.name},
        )
        # Empty the default security group: nothing may use it by accident.
        DefaultSecurityGroup(
            self, "default_sg", vpc_id=self.vpc.id, ingress=[], egress=[], tags={"Name": f"{props.name}-default-deny"}
        )
        # The default NACL (for any subnet created outside this construct) denies all traffic.
        DefaultNetworkAcl(
            self,
            "default_nacl",
            default_network_acl_id=self.vpc.default_network_acl_id,
            tags={"Name": f"{props.name}-default-deny"},
        )
        DefaultRouteTable(
            self,
            "default_routes",
            default_route_table_id=self.vpc.default_route_table_id,
            route=[],
            tags={"Name": f"{props.name}-default-local-only"},
        )

        subnet_cidrs = list(network.subnets(new_prefix=props.subnet_prefix_length))
        self.route_table = RouteTable(
            self, "private_routes", vpc_id=self.vpc.id, tags={"Name": f"{props.name}-private"}
        )
        self.subnets: list[Subnet] = []
        for index, zone in enumerate(props.availability_zones):
            subnet = Subnet(
                self,
                f"private_subnet_{index}",
                vpc_id=self.vpc.id,
                cidr_block=str(subnet_cidrs[index]),
                availability_zone=zone,
                map_public_ip_on_launch=False,
                assign_ipv6_address_on_creation=False,
                tags={"Name": f"{props.name}-private-{zone}", "tier": "private"},
            )
            RouteTableAssociation(
                self, f"private_subnet_{index}_routes", subnet_id=subnet.id, route_table_id=self.route_table.id
            )
            self.subnets.append(subnet)

        self.network_acl = NetworkAcl(
            self,
            "private_nacl",
            vpc_id=self.vpc.id,
            subnet_ids=[s.id for s in self.subnets],
            ingress=[
                NetworkAclIngress(
                    rule_no=100, action="allow", protocol="-1", cidr_block=props.cidr_block, from_port=0, to_port=0
                ),
                # Return traffic of HTTPS calls to S3 via the gateway endpoint (public S3 addresses): Linux
                # ephemeral ports only, so no admin port (22, 3389) is ever reachable from outside the VPC.
                NetworkAclIngress(
                    rule_no=200, action="allow", protocol="6", cidr_block="0.0.0.0/0", from_port=32768, to_port=65535
                ),
            ],
            egress=[
                NetworkAclEgress(
                    rule_no=100, action="allow", protocol="-1", cidr_block=props.cidr_block, from_port=0, to_port=0
                ),
                # HTTPS to S3 via the gateway endpoint; with no IGW/NAT nothing else is routable.
                NetworkAclEgress(
                    rule_no=200, action="allow", protocol="6", cidr_block="0.0.0.0/0", from_port=443, to_port=443
                ),
            ],
            tags={"Name": f"{props.name}-private"},
        )

        self.endpoint_security_group = SecurityGroup(
            self,
            "endpoint_sg",
            name=f"{props.name}-endpoints",
            description="Interface endpoints: HTTPS from inside this VPC only",
            vpc_id=self.vpc.id,
            ingress=[
                SecurityGroupIngress(
                    description="HTTPS from inside the VPC",
                    protocol="tcp",
                    from_port=443,
                    to_port=443,
                    cidr_blocks=[props.cidr_block],
                )
            ],
            egress=[],
            tags={"Name": f"{props.name}-endpoints"},
        )

        bucket_arns: list[str] = []
        for pattern in props.allowed_bucket_patterns:
            bucket_arns += [f"arn:aws:s3:::{pattern}", f"arn:aws:s3:::{pattern}/*"]
        s3_policy = self._s3_policy(bucket_arns, props.organization_id)
        self._s3_route_table_ids: list[str] = [self.route_table.id]
        self.s3_gateway_endpoint = VpcEndpoint(
            self,
            "s3_gateway",
            vpc_id=self.vpc.id,
            service_name=f"com.amazonaws.{props.region}.s3",
            vpc_endpoint_type="Gateway",
            route_table_ids=[self.route_table.id],
            policy=s3_policy.to_json(),
            tags={"Name": f"{props.name}-s3"},
        )

        self.interface_endpoints: dict[str, VpcEndpoint] = {}
        for service in props.interface_endpoints:
            endpoint_policy = PolicyDocument(
                [
                    Statement(
                        sid="ThisAccountOnly",
                        effect="Allow",
                        principals={"AWS": "*"},
                        actions=actions.ENDPOINT_ACTIONS[service],
                        resources=["*"],
                        conditions={"StringEquals": {"aws:PrincipalAccount": props.account_id}},
                    )
                ]
            ) if props.organization_id is None else self._interface_org_policy(service, props.organization_id)
            self.interface_endpoints[service] = VpcEndpoint(
                self,
                f"endpoint_{service.replace('.', '_').replace('-', '_')}",
                vpc_id=self.vpc.id,
                service_name=f"com.amazonaws.{props.region}.{service}",
                vpc_endpoint_type="Interface",
                private_dns_enabled=True,
                subnet_ids=[s.id for s in self.subnets],
                security_group_ids=[self.endpoint_security_group.id],
                policy=endpoint_policy.to_json(),
                tags={"Name": f"{props.name}-{service}"},
            )

        self.workload_security_group = SecurityGroup(
            self,
            "workload_sg",
            name=f"{props.name}-workloads",
            description="Workloads: no inbound; HTTPS out to the VPC endpoints and S3 only",
            vpc_id=self.vpc.id,
            ingress=[],
            egress=self.endpoint_egress(),
            tags={"Name": f"{props.name}-workloads"},
        )

        self.flow_log = FlowLog(
            self,
            "flow_log",
            vpc_id=self.vpc.id,
            traffic_type="ALL",
            log_destination_type="s3",
            # Delivered under AWSLogs/<account>/vpcflowlogs/<region>/... (the archive grants exactly that): this
            # account's log archive, or the organization's (zero_trust_ai.evidence_destinations).
            log_destination=flow_log_archive.bucket_arn,
            max_aggregation_interval=props.flow_log_aggregation_seconds,
            tags={"Name": f"{props.name}-flow-log"},
        )
        # A second copy to CloudWatch Logs (encrypted, retained) for metric filters and fast queries,
        # delivered by a role that only the flow-logs service can assume, for this account only.
        self.flow_log_group = EncryptedLogGroup(
            self, "flow_log_group", key=logs_key,
            props=EncryptedLogGroupProps(name=f"/ztai/vpc-flow-logs/{props.name}", region=props.region,
                                         account_id=props.account_id, retention_in_days=props.log_retention_days),
        )
        self.flow_log_role = WorkloadRole(
            self, "flow_log_role",
            props=WorkloadRoleProps(
                role_name=f"{props.name}-flow-logs", grant_name="FlowLogDelivery",
                service="vpc-flow-logs.amazonaws.com", account_id=props.account_id,
                source_arn_pattern=f"arn:aws:ec2:{props.region}:{props.account_id}:vpc-flow-log/*",
                description="VPC flow-log delivery into its CloudWatch Logs group",
            ),
        )
        self.flow_log_role.add_to_policy(Statement(
            sid="DeliverFlowLogs", effect="Allow",
            actions=actions.FLOW_LOGS_DELIVER,
            resources=[self.flow_log_group.arn, f"{self.flow_log_group.arn}:*"]))
        self.flow_log_to_cloudwatch = FlowLog(
            self, "flow_log_cloudwatch",
            vpc_id=self.vpc.id,
            traffic_type="ALL",
            log_destination_type="cloud-watch-logs",
            log_destination=self.flow_log_group.log_group.arn,
            iam_role_arn=self.flow_log_role.role_arn,
            max_aggregation_interval=props.flow_log_aggregation_seconds,
            tags={"Name": f"{props.name}-flow-log-cloudwatch"},
        )

    def _s3_policy(self, bucket_arns: list[str], organization_id: str | None) -> PolicyDocument:
        """The S3 gateway endpoint: this account's callers on this account's buckets (``PlatformBucketsOnly``) -- bucket
        names are global, so a ``ztai-<env>-*`` bucket in another account matches the name pattern and the owner is
        bound too (exfiltration into a look-alike bucket is refused) -- and ECR's layer bucket.

        In an organisation's member account (``organization_id``), the data perimeter of aws-samples/
        data-perimeter-policy-examples (vpc_endpoint_policies/s3_endpoint_policy.json), narrowed to the platform:

        * ``OrgPrincipalsToOrgBuckets``: the platform's buckets, for callers of the organisation (aws:PrincipalOrgID)
          on buckets of the organisation (aws:ResourceOrgID, which S3 sets from the bucket owner's organisation:
          https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_condition-keys.html#condition-keys-resourceorgid).
          The account bound (aws:PrincipalAccount, aws:ResourceAccount) is tighter and stays; the organisation
          bound is stated too, so the perimeter holds if the accounts are ever widened. A bucket of another
          organisation that matches the name pattern (names are global) is refused by both.
        * ``EcrImageLayers``: ECR's AWS-owned layer bucket, as in every environment (:meth:`_ecr_image_layers`).

        Left out on purpose: aws-samples' ``AllowRequestsByAWSServicePrincipals``. It serves AWS services that write
        to *their own* buckets from your network with their service principal (CloudFormation wait conditions and
        custom resources, Amazon Q Developer); the platform runs none of them, and an Allow on every bucket of every
        owner is exactly the exfiltration path this endpoint closes (policy check CKV_ZTAI_013).
        """
        account = self.props.account_id
        bounds = {"aws:PrincipalAccount": account, "aws:ResourceAccount": account}
        if organization_id is not None:
            bounds = {"aws:PrincipalOrgID": organization_id, "aws:ResourceOrgID": organization_id, **bounds}
        return PolicyDocument(
            [
                Statement(
                    sid="PlatformBucketsOnly" if organization_id is None else "OrgPrincipalsToOrgBuckets",
                    effect="Allow",
                    principals={"AWS": "*"},
                    actions=actions.VPC_ENDPOINT_S3,
                    resources=bucket_arns,
                    conditions={"StringEquals": bounds},
                ),
                self._ecr_image_layers(),
            ]
        )

    def _ecr_image_layers(self) -> Statement:
        """ECR's AWS-owned layer bucket. An image pull downloads each layer through a presigned URL that an ECR
        account signed, not the caller (https://docs.aws.amazon.com/AmazonECR/latest/userguide/vpc-endpoints.html
        #ecr-minimum-s3-perms; aws-samples data-perimeter-policy-examples, "AllowRequestsToAWSOwnedResources"), so
        neither the caller's account nor its organisation is in that request and a principal condition would refuse
        every pull: read-only, that one bucket, no principal condition."""
        return Statement(
            sid="EcrImageLayers",
            effect="Allow",
            principals={"AWS": "*"},
            actions=["s3:GetObject"],
            resources=[f"arn:aws:s3:::prod-{self.props.region}-starport-layer-bucket/*"],
        )

    def _interface_org_policy(self, service: str, organization_id: str) -> PolicyDocument:
        """An interface endpoint of an organisation's member account (aws-samples vpc_endpoint_policies/
        default_endpoint_policy.json and <service>_endpoint_policy.json, narrowed to the endpoint's actions).

        * ``OrgPrincipalsToOrgResources``: this account's callers (also in the organisation, aws:PrincipalOrgID) on
          resources of the organisation (aws:ResourceOrgID): no key, role, log group, repository, parameter or
          secret of another organisation is reachable through the endpoint (the single-account policy binds the
          caller only).
        * ``OrgPrincipalsActionsWithoutResource``: the actions that name no resource
          (:data:`zero_trust_ai.actions.ENDPOINT_ACTIONS_WITHOUT_RESOURCE`, e.g. sts:GetCallerIdentity,
          ecr:GetAuthorizationToken) carry no aws:ResourceOrgID; an Allow requiring it would never match them
          (https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_condition.html: a key absent
          from the request context does not match), and they reach no other organisation's resource.
        * ``AwsServicePrincipals``: AWS services calling with their service principal from this network
          (aws:PrincipalIsAWSService, which only AWS sets; aws-samples "AllowRequestsByAWSServicePrincipals"), limited
          to the endpoint's actions. A workload's credentials never make such a request.
        """
        account = self.props.account_id
        service_actions = actions.ENDPOINT_ACTIONS[service]
        with_resource = [a for a in service_actions if a not in actions.ENDPOINT_ACTIONS_WITHOUT_RESOURCE]
        without_resource = [a for a in service_actions if a in actions.ENDPOINT_ACTIONS_WITHOUT_RESOURCE]
        principal = {"aws:PrincipalOrgID": organization_id, "aws:PrincipalAccount": account}
        statements = []
        if with_resource:
            statements.append(Statement(
                sid="OrgPrincipalsToOrgResources", effect="Allow", principals={"AWS": "*"}, actions=with_resource,
                resources=["*"], conditions={"StringEquals": {**principal, "aws:ResourceOrgID": organization_id}}))
        if without_resource:
            statements.append(Statement(
                sid="OrgPrincipalsActionsWithoutResource", effect="Allow", principals={"AWS": "*"},
                actions=without_resource, resources=["*"], conditions={"StringEquals": principal}))
        statements.append(Statement(
            sid="AwsServicePrincipals", effect="Allow", principals={"AWS": "*"}, actions=service_actions,
            resources=["*"], conditions={"Bool": {"aws:PrincipalIsAWSService": "true"}}))
        return PolicyDocument(statements)

    def endpoint_egress(self) -> list[SecurityGroupEgress]:
        """The only egress a workload in this VPC needs: HTTPS to the interface endpoints and, through the
        gateway endpoint, to S3."""
        return [
            SecurityGroupEgress(description="HTTPS to the interface endpoints", protocol="tcp", from_port=443,
                                to_port=443, security_groups=[self.endpoint_security_group.id]),
            SecurityGroupEgress(description="HTTPS to S3 through the gateway endpoint", protocol="tcp",
                                from_port=443, to_port=443, prefix_list_ids=[self.s3_gateway_endpoint.prefix_list_id]),
        ]

    def route_s3_gateway_from(self, route_table_ids: Sequence[str]) -> None:
        """Let subnets of other route tables of this VPC (e.g. ModelEgress's egress-workload subnets) reach S3 through
        the gateway endpoint too: the endpoint's own ``route_table_ids`` grows (one list, so no separate association
        resource fights the endpoint's attribute on the next plan)."""
        self._s3_route_table_ids = [*self._s3_route_table_ids, *route_table_ids]
        self.s3_gateway_endpoint.route_table_ids = list(self._s3_route_table_ids)

    @property
    def vpc_id(self) -> str:
        return self.vpc.id

    @property
    def subnet_ids(self) -> list[str]:
        return [s.id for s in self.subnets]
