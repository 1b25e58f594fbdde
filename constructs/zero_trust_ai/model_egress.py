"""ModelEgress: the only way out of a PrivateNetwork -- external model APIs, by domain allow-list only, through AWS
Network Firewall. Off unless constructed."""

from __future__ import annotations

import ipaddress
import weakref
from collections.abc import Sequence
from typing import Any, ClassVar

from cdktf_cdktf_provider_aws.cloudwatch_metric_alarm import CloudwatchMetricAlarm
from cdktf_cdktf_provider_aws.eip import Eip
from cdktf_cdktf_provider_aws.internet_gateway import InternetGateway
from cdktf_cdktf_provider_aws.nat_gateway import NatGateway
from cdktf_cdktf_provider_aws.network_acl import NetworkAcl, NetworkAclEgress, NetworkAclIngress
from cdktf_cdktf_provider_aws.networkfirewall_firewall import (
    NetworkfirewallFirewall,
    NetworkfirewallFirewallEncryptionConfiguration,
    NetworkfirewallFirewallSubnetMapping,
)
from cdktf_cdktf_provider_aws.networkfirewall_firewall_policy import (
    NetworkfirewallFirewallPolicy,
    NetworkfirewallFirewallPolicyEncryptionConfiguration,
    NetworkfirewallFirewallPolicyFirewallPolicy,
    NetworkfirewallFirewallPolicyFirewallPolicyStatefulEngineOptions,
    NetworkfirewallFirewallPolicyFirewallPolicyStatefulRuleGroupReference,
)
from cdktf_cdktf_provider_aws.networkfirewall_logging_configuration import (
    NetworkfirewallLoggingConfiguration,
    NetworkfirewallLoggingConfigurationLoggingConfiguration,
    NetworkfirewallLoggingConfigurationLoggingConfigurationLogDestinationConfig,
)
from cdktf_cdktf_provider_aws.networkfirewall_rule_group import (
    NetworkfirewallRuleGroup,
    NetworkfirewallRuleGroupEncryptionConfiguration,
    NetworkfirewallRuleGroupRuleGroup,
    NetworkfirewallRuleGroupRuleGroupRulesSource,
    NetworkfirewallRuleGroupRuleGroupRulesSourceRulesSourceListStruct,
    NetworkfirewallRuleGroupRuleGroupRuleVariables,
    NetworkfirewallRuleGroupRuleGroupRuleVariablesIpSets,
    NetworkfirewallRuleGroupRuleGroupRuleVariablesIpSetsIpSet,
    NetworkfirewallRuleGroupRuleGroupStatefulRuleOptions,
)
from cdktf_cdktf_provider_aws.route import Route
from cdktf_cdktf_provider_aws.route_table import RouteTable
from cdktf_cdktf_provider_aws.route_table_association import RouteTableAssociation
from cdktf_cdktf_provider_aws.security_group import SecurityGroup, SecurityGroupEgress
from cdktf_cdktf_provider_aws.subnet import Subnet
from constructs import Construct
from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from zero_trust_ai import actions, validation
from zero_trust_ai.alert_topic import AlertTopic
from zero_trust_ai.base import PlatformConstruct
from zero_trust_ai.platform_key import PlatformKey
from zero_trust_ai.private_network import PrivateNetwork
from zero_trust_ai.secure_bucket import SecureBucket
from zero_trust_ai.validation import InvalidInput

__all__ = [
    "LOG_PREFIX",
    "MAX_ZONES",
    "ModelEgress",
    "ModelEgressProps",
    "allowed_domain",
    "egress_decision",
    "egress_plan",
]

# Where the firewall's logs land in the archive: <bucket>/network-firewall/AWSLogs/<account>/network-firewall/
# <alert|flow>/<region>/<firewall>/... (https://docs.aws.amazon.com/network-firewall/latest/developerguide/logging-s3.html)
LOG_PREFIX = "network-firewall"
# Zone slots the address plan reserves (see ModelEgress): adding a zone later never moves an existing subnet.
MAX_ZONES = validation.EGRESS_MAX_ZONES
# Metric the blocked-attempt alarm watches. Network Firewall publishes DroppedPackets in AWS/NetworkFirewall with the
# dimensions AvailabilityZone, Engine (Stateless | Stateful) and FirewallName, reported only when non-zero
# (https://docs.aws.amazon.com/network-firewall/latest/developerguide/monitoring-cloudwatch.html).
METRIC_NAMESPACE = "AWS/NetworkFirewall"
DROPPED_METRIC = "DroppedPackets"
# Stateful default actions (STRICT_ORDER only): drop and alert on every packet of an established flow that no pass
# rule matched. "established" rather than "strict" lets the TCP handshake through so the TLS ClientHello (SNI) and the
# HTTP Host header can be inspected at all; "strict" would drop the SYN before any domain is seen
# (valid values, strict order only: https://docs.aws.amazon.com/fms/2018-01-01/APIReference/API_NetworkFirewallPolicyDescription.html;
# semantics: https://docs.aws.amazon.com/network-firewall/latest/developerguide/stateful-default-actions.html).
STATEFUL_DEFAULT_ACTIONS = ("aws:drop_established", "aws:alert_established")
STATELESS_DEFAULT_ACTIONS = ("aws:forward_to_sfe",)
TARGET_TYPES = ("TLS_SNI", "HTTP_HOST")
# Log-delivery bucket check and the key use of the principal that creates the encrypted firewall resources.
# TODO(actions.py owner): move beside LOG_DELIVERY_BUCKET_CHECK once that list is committed there.
LOG_DELIVERY_BUCKET_CHECK = ("s3:GetBucketAcl", "s3:ListBucket")
# Network Firewall encrypts with a customer key through grants on the caller's behalf
# (https://docs.aws.amazon.com/network-firewall/latest/developerguide/kms-encryption-at-rest.html).
KMS_NETWORK_FIREWALL_USE = ("kms:CreateGrant", "kms:Decrypt", "kms:DescribeKey", "kms:GenerateDataKey")

# The ModelEgress of each network: a VPC takes one internet gateway, so one egress path.
_EGRESS_BY_NETWORK: weakref.WeakKeyDictionary[PrivateNetwork, str] = weakref.WeakKeyDictionary()

# -- domains: the rule lives in zero_trust_ai.validation (the configuration edge uses it too), re-exported here --------
AllowedDomain = validation.AllowedDomain
allowed_domain = validation.allowed_domain


def egress_decision(allowed_domains: Sequence[str], host: str) -> tuple[bool, str]:
    """Would a TLS SNI (or HTTP Host) ``host`` from an egress workload pass the synthesized rule group?

    Decided with Network Firewall's documented domain-list semantics
    (https://docs.aws.amazon.com/network-firewall/latest/APIReference/API_RulesSourceList.html and
    https://docs.aws.amazon.com/network-firewall/latest/developerguide/stateful-rule-groups-domain-names.html):
    an explicit name matches only itself; a leading-dot entry ``.example.com`` matches ``example.com`` and every
    name ending in ``.example.com`` -- so ``evil-api.example.com`` does *not* match ``.api.example.com``. The
    generated rules compare without case (``nocase``). Anything no entry matches falls to the policy's stateful
    default actions (``aws:drop_established``, ``aws:alert_established``): dropped and alerted. A host with a
    trailing dot or no host at all matches nothing.
    """
    name = host.lower()
    if name:
        for entry in allowed_domains:
            entry = entry.lower()
            if entry.startswith("."):
                if name == entry[1:] or name.endswith(entry):
                    return True, f"pass: {name!r} is {entry[1:]!r} or a subdomain of it (allow-list entry {entry!r})"
            elif name == entry:
                return True, f"pass: {name!r} is the allow-list entry {entry!r} (exact match)"
    return False, (f"drop: no allow-list entry matches {name!r}; the stateful default actions "
                   f"{', '.join(STATEFUL_DEFAULT_ACTIONS)} drop it and write an alert")


# -- the address plan --------------------------------------------------------------------------------------------------
def egress_plan(cidr_block: str, zones: int) -> dict[str, list[str]]:
    """The subnets of ``cidr_block`` (a /N) for ``zones`` zones, by tier. Fixed slots, so adding a zone never moves
    a subnet: the lower half holds four egress-workload slots of /N+3; the upper half holds eight /N+4 slots,
    firewall subnets in 0..3 and NAT subnets in 4..7. Zone i takes slot i of each tier."""
    network = ipaddress.ip_network(cidr_block)
    workload_half, infrastructure_half = network.subnets(prefixlen_diff=1)
    workload_slots = list(workload_half.subnets(prefixlen_diff=2))
    infrastructure_slots = list(infrastructure_half.subnets(prefixlen_diff=3))
    return {
        "workload": [str(workload_slots[i]) for i in range(zones)],
        "firewall": [str(infrastructure_slots[i]) for i in range(zones)],
        "nat": [str(infrastructure_slots[MAX_ZONES + i]) for i in range(zones)],
    }


class ModelEgressProps(BaseModel):
    """Props of :class:`ModelEgress`."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    name_prefix: str = Field(pattern=r"^[a-z0-9-]{3,40}$", description="Name prefix, e.g. ``ztai-prod-serving``.")
    region: str = Field(pattern=validation.REGION_PATTERN)
    account_id: validation.AccountId
    cidr_block: str = Field(description="Private range /16../24 inside the VPC's CIDR, overlapping none of its "
                            "private subnets, from which the egress subnets are cut (:func:`egress_plan`); at /24 the "
                            "firewall and NAT subnets are /28, the smallest AWS allows.")
    availability_zones: Sequence[str] | None = Field(
        default=None, description="Zones that get a firewall endpoint, a NAT gateway and an egress-workload subnet "
        f"(at most {MAX_ZONES}). Default: every zone of the network.")
    allowed_domains: Sequence[AllowedDomain] = Field(
        min_length=1, description="The only names egress workloads may reach (TLS SNI for HTTPS, Host for HTTP): "
        "exact (``api.openai.com``) or leading dot (``.example.com``: it and every subdomain).")
    rule_group_capacity: int = Field(
        default=100, ge=1, le=30000, description="Capacity of the stateful rule group (fixed at creation; changing it "
        "replaces the group). Default: 100, room for 50 domains on both target types.")
    dropped_packets_threshold: int = Field(
        default=1, ge=1, description="Dropped packets per 5 minutes, per zone, that raise the alarm. Default: 1 -- "
        "every blocked attempt is an alert.")
    delete_protection_opt_out_reason: validation.OptOutReason | None = Field(
        default=None, description="Default: delete, subnet-change and policy-change protection are on. Opt out only "
        "for a disposable environment, with why.")

    @field_validator("cidr_block")
    @classmethod
    def _private_range(cls, value: str) -> str:
        return validation.egress_cidr_block(value)

    @model_validator(mode="after")
    def _consistent(self) -> ModelEgressProps:
        validation.listed_once(list(self.allowed_domains), what="an allowed domain", fix="list each domain once")
        if len(self.allowed_domains) * len(TARGET_TYPES) > self.rule_group_capacity:
            raise InvalidInput(f"{len(self.allowed_domains)} domains on {len(TARGET_TYPES)} target types exceed "
                               f"rule_group_capacity {self.rule_group_capacity}",
                               fix=f"raise rule_group_capacity to at least "
                               f"{len(self.allowed_domains) * len(TARGET_TYPES)}", field=("rule_group_capacity",))
        if self.availability_zones is not None:
            zones = list(self.availability_zones)
            if not zones:
                raise InvalidInput("availability_zones is empty", fix="name at least one zone, or leave it unset "
                                   "for every zone of the network", field=("availability_zones",))
            validation.listed_once(zones, what="an availability zone", fix="list each AZ once")
            for zone in zones:
                validation.zone_in_region(zone, self.region)
            if len(zones) > MAX_ZONES:
                raise InvalidInput(f"{len(zones)} zones; the egress plan has {MAX_ZONES} slots",
                                   fix=f"use at most {MAX_ZONES} zones", field=("availability_zones",))
        return self


def _private_subnets(network: PrivateNetwork) -> list[str]:
    """The CIDRs PrivateNetwork gives its private subnets: the first one-per-zone blocks of subnet_prefix_length."""
    props = network.props
    return validation.private_subnet_cidrs(props.cidr_block, props.subnet_prefix_length,
                                           len(props.availability_zones))


class ModelEgress(PlatformConstruct):
    """The only way out of a :class:`PrivateNetwork`: HTTPS to allow-listed domains, from egress workloads only,
    through AWS Network Firewall, NAT and an internet gateway. Nothing of it exists unless this is constructed.

    Address plan (``props.cidr_block`` = /N, zone i takes slot i; see :func:`egress_plan`)::

        lower half            4 x /N+3   egress-workload subnets (slots 0..3)
        upper half, slots 0..3  /N+4     firewall subnets (one firewall endpoint each)
        upper half, slots 4..7  /N+4     NAT subnets (one NAT gateway + Elastic IP each)

    e.g. 10.10.240.0/20 -> workload 10.10.240.0/23, .242.0/23, ...; firewall 10.10.248.0/24, .249.0/24, ...;
    NAT 10.10.252.0/24, .253.0/24, ... The block must lie inside the VPC's CIDR and overlap none of its private
    subnets (PrivateNetwork allocates those from the bottom of the VPC CIDR, one ``subnet_prefix_length`` block per
    zone) -- the top of a /16 VPC is the natural place.

    Routes (one table per tier per zone, symmetric per zone because the firewall does not support asymmetric
    routing, https://docs.aws.amazon.com/network-firewall/latest/developerguide/arch-igw-ngw.html):

    * egress-workload subnet: ``0.0.0.0/0`` -> the zone's firewall endpoint. Only workloads placed here get out;
    * firewall subnet: ``0.0.0.0/0`` -> the zone's NAT gateway;
    * NAT subnet: ``0.0.0.0/0`` -> the internet gateway, and each egress-workload CIDR -> the zone's firewall
      endpoint (the return path goes back through the firewall). These are the only subnets routing to the IGW;
    * the network's own route table, its private subnets and the default route table are untouched.

    The firewall policy is STRICT_ORDER: stateless traffic is forwarded to the stateful engine, one stateful rule group
    passes TLS SNI / HTTP Host of the allowed domains from the egress-workload CIDRs (HOME_NET) only, and the stateful
    default actions drop and alert on everything else (``aws:drop_established``, ``aws:alert_established``). Firewall,
    policy and rule group are encrypted with the logs key; delete, subnet-change and policy-change protection are on.
    ALERT and FLOW logs go to the log archive under ``network-firewall/`` (the archive is the single, Object-Locked
    evidence store the other network logs use; an S3 destination needs no CloudWatch Logs resource policy, whose
    per-region quota is ten). One alarm per zone on ``DroppedPackets`` (stateful engine) notifies the alert topic.

    ``workload_security_group``: no ingress, egress TCP 443 to anywhere -- the firewall, not the group, decides the
    destination by name. A NACL on the egress subnets admits only HTTPS out and return traffic in (the network's
    default NACL denies everything).

    ``allowed_domains`` is what the DNS Firewall must also let this VPC resolve (``DnsFirewall.allow_domains``); DNS
    Firewall works per VPC, so every subnet of the VPC can then resolve those names, but only the egress-workload
    subnets have a route out. :meth:`decide` answers "would this host, from this address, get out?".

    What the allow-list does not stop: for HTTPS the firewall matches the server name the *client* writes into its
    TLS ClientHello (SNI), not the certificate of the server it reaches
    (https://docs.aws.amazon.com/network-firewall/latest/APIReference/API_RulesSourceList.html). Code already running
    in an egress workload can reach any address on 443 by claiming an allowed name. Against that, TLS inspection
    (the firewall terminates TLS and verifies the server) or a forward proxy that resolves names itself is needed;
    neither is built here.

    S3 stays private for egress workloads too: the network's S3 gateway endpoint is routed from the egress-workload
    route tables as well (:meth:`PrivateNetwork.route_s3_gateway_from`), so S3 calls take the endpoint's prefix-list
    route (more specific than ``0.0.0.0/0``) and never reach the firewall or the internet.
    """

    implements: ClassVar[tuple[str, ...]] = ("ZT-MDL-2", "ZT-NET-1", "ZT-NET-4")

    def __init__(self, scope: Construct, id: str, *, props: ModelEgressProps, network: PrivateNetwork,
                 log_archive: SecureBucket, logs_key: PlatformKey, alert_topic: AlertTopic,
                 deployment_principal_arn: str) -> None:
        super().__init__(scope, id)
        self.props = props
        self.network = network
        self.zones = list(props.availability_zones or network.props.availability_zones)
        self._fit_into(network)
        if network in _EGRESS_BY_NETWORK:
            raise InvalidInput(f"{network.construct_path} already has its egress path {_EGRESS_BY_NETWORK[network]}",
                               fix="give one ModelEgress per network all its domains and zones")
        _EGRESS_BY_NETWORK[network] = self.construct_path
        self.allowed_domains: list[str] = list(props.allowed_domains)
        plan = egress_plan(props.cidr_block, len(self.zones))
        self.workload_cidrs = plan["workload"]
        name, region, account = props.name_prefix, props.region, props.account_id
        vpc_id = network.vpc_id
        protected = props.delete_protection_opt_out_reason is None

        self.internet_gateway = InternetGateway(self, "internet_gateway", vpc_id=vpc_id,
                                                tags={"Name": f"{name}-egress-igw"})
        self.firewall_subnets: list[Subnet] = []
        self.nat_subnets: list[Subnet] = []
        self.workload_subnets: list[Subnet] = []
        for index, zone in enumerate(self.zones):
            for tier, cidrs, subnets in (("firewall", plan["firewall"], self.firewall_subnets),
                                         ("nat", plan["nat"], self.nat_subnets),
                                         ("workload", plan["workload"], self.workload_subnets)):
                subnets.append(Subnet(
                    self, f"{tier}_subnet_{index}", vpc_id=vpc_id, cidr_block=cidrs[index], availability_zone=zone,
                    map_public_ip_on_launch=False, assign_ipv6_address_on_creation=False,
                    tags={"Name": f"{name}-egress-{tier}-{zone}", "tier": f"egress-{tier}"}))

        # -- the firewall -----------------------------------------------------------------------------------------
        # The principal that creates the encrypted resources lets Network Firewall use the key on its behalf.
        logs_key.grant_aws_principal(
            sid="NetworkFirewallEncryptsWithThisKey", principal_arn=deployment_principal_arn,
            key_actions=KMS_NETWORK_FIREWALL_USE,
            conditions={"StringEquals": {"kms:ViaService": f"network-firewall.{region}.amazonaws.com",
                                         "kms:CallerAccount": account}})
        self.rule_group = NetworkfirewallRuleGroup(
            self, "allow_list", name=f"{name}-egress-allow-list", type="STATEFUL",
            capacity=props.rule_group_capacity,
            description="Egress workloads may reach these names (TLS SNI / HTTP Host) and nothing else",
            encryption_configuration=NetworkfirewallRuleGroupEncryptionConfiguration(
                type="CUSTOMER_KMS", key_id=logs_key.key_arn),
            rule_group=NetworkfirewallRuleGroupRuleGroup(
                # The generated domain-list rules match traffic from HOME_NET only: the egress-workload subnets.
                rule_variables=NetworkfirewallRuleGroupRuleGroupRuleVariables(ip_sets=[
                    NetworkfirewallRuleGroupRuleGroupRuleVariablesIpSets(
                        key="HOME_NET",
                        ip_set=NetworkfirewallRuleGroupRuleGroupRuleVariablesIpSetsIpSet(
                            definition=list(self.workload_cidrs)))]),
                rules_source=NetworkfirewallRuleGroupRuleGroupRulesSource(
                    rules_source_list=NetworkfirewallRuleGroupRuleGroupRulesSourceRulesSourceListStruct(
                        generated_rules_type="ALLOWLIST", target_types=list(TARGET_TYPES),
                        targets=list(self.allowed_domains))),
                stateful_rule_options=NetworkfirewallRuleGroupRuleGroupStatefulRuleOptions(rule_order="STRICT_ORDER"),
            ),
            tags={"Name": f"{name}-egress-allow-list"},
        )
        self.firewall_policy = NetworkfirewallFirewallPolicy(
            self, "policy", name=f"{name}-egress",
            description="Strict order: the allow-list passes, everything else is dropped and alerted",
            encryption_configuration=NetworkfirewallFirewallPolicyEncryptionConfiguration(
                type="CUSTOMER_KMS", key_id=logs_key.key_arn),
            firewall_policy=NetworkfirewallFirewallPolicyFirewallPolicy(
                stateless_default_actions=list(STATELESS_DEFAULT_ACTIONS),
                stateless_fragment_default_actions=list(STATELESS_DEFAULT_ACTIONS),
                stateful_default_actions=list(STATEFUL_DEFAULT_ACTIONS),
                # DROP: a flow that breaks midstream fails closed instead of continuing uninspected.
                stateful_engine_options=NetworkfirewallFirewallPolicyFirewallPolicyStatefulEngineOptions(
                    rule_order="STRICT_ORDER", stream_exception_policy="DROP"),
                stateful_rule_group_reference=[NetworkfirewallFirewallPolicyFirewallPolicyStatefulRuleGroupReference(
                    resource_arn=self.rule_group.arn, priority=100)],
            ),
            tags={"Name": f"{name}-egress"},
        )
        self.firewall = NetworkfirewallFirewall(
            self, "firewall", name=f"{name}-egress", vpc_id=vpc_id, firewall_policy_arn=self.firewall_policy.arn,
            description="The only egress path: allow-listed model APIs for the egress-workload subnets",
            subnet_mapping=[NetworkfirewallFirewallSubnetMapping(subnet_id=subnet.id)
                            for subnet in self.firewall_subnets],
            delete_protection=protected, subnet_change_protection=protected,
            firewall_policy_change_protection=protected,
            encryption_configuration=NetworkfirewallFirewallEncryptionConfiguration(
                type="CUSTOMER_KMS", key_id=logs_key.key_arn),
            tags={"Name": f"{name}-egress"},
        )
        self.firewall_endpoint_ids = [self._endpoint_in(zone) for zone in self.zones]

        # -- NAT, routes ------------------------------------------------------------------------------------------
        self.nat_gateways: list[NatGateway] = []
        self.route_tables: dict[str, list[RouteTable]] = {"firewall": [], "nat": [], "workload": []}
        for index, zone in enumerate(self.zones):
            address = Eip(self, f"nat_address_{index}", domain="vpc", tags={"Name": f"{name}-egress-nat-{zone}"},
                          depends_on=[self.internet_gateway])
            nat = NatGateway(self, f"nat_gateway_{index}", subnet_id=self.nat_subnets[index].id,
                             allocation_id=address.id, connectivity_type="public",
                             tags={"Name": f"{name}-egress-nat-{zone}"}, depends_on=[self.internet_gateway])
            self.nat_gateways.append(nat)
            endpoint = self.firewall_endpoint_ids[index]
            workload = self._route_table("workload", index, zone, self.workload_subnets[index])
            Route(self, f"workload_internet_{index}", route_table_id=workload.id, destination_cidr_block="0.0.0.0/0",
                  vpc_endpoint_id=endpoint)
            firewall = self._route_table("firewall", index, zone, self.firewall_subnets[index])
            Route(self, f"firewall_internet_{index}", route_table_id=firewall.id, destination_cidr_block="0.0.0.0/0",
                  nat_gateway_id=nat.id)
            nat_table = self._route_table("nat", index, zone, self.nat_subnets[index])
            Route(self, f"nat_internet_{index}", route_table_id=nat_table.id, destination_cidr_block="0.0.0.0/0",
                  gateway_id=self.internet_gateway.id)
            # Symmetric return path: replies to every egress-workload CIDR go back through this zone's endpoint.
            for target, cidr in enumerate(self.workload_cidrs):
                Route(self, f"nat_return_{target}_{index}", route_table_id=nat_table.id, destination_cidr_block=cidr,
                      vpc_endpoint_id=endpoint)

        # S3 from the egress-workload subnets goes through the network's gateway endpoint, never out.
        network.route_s3_gateway_from([table.id for table in self.route_tables["workload"]])

        # -- NACL of the egress subnets ----------------------------------------------------------------------------
        vpc_cidr = network.props.cidr_block
        self.network_acl = NetworkAcl(
            self, "egress_nacl", vpc_id=vpc_id,
            subnet_ids=[s.id for s in self.firewall_subnets + self.nat_subnets + self.workload_subnets],
            ingress=[
                NetworkAclIngress(rule_no=100, action="allow", protocol="-1", cidr_block=vpc_cidr, from_port=0,
                                  to_port=0),
                # Return traffic of outbound HTTPS. The NAT gateway's translated source ports span 1024-65535
                # (https://docs.aws.amazon.com/vpc/latest/userguide/nat-gateway-basics.html); a NAT gateway accepts
                # no unsolicited inbound connection, and nothing else in these subnets listens.
                NetworkAclIngress(rule_no=200, action="allow", protocol="6", cidr_block="0.0.0.0/0", from_port=1024,
                                  to_port=65535),
            ],
            egress=[
                NetworkAclEgress(rule_no=100, action="allow", protocol="-1", cidr_block=vpc_cidr, from_port=0,
                                 to_port=0),
                NetworkAclEgress(rule_no=200, action="allow", protocol="6", cidr_block="0.0.0.0/0", from_port=443,
                                 to_port=443),
            ],
            tags={"Name": f"{name}-egress"},
        )

        # -- the group for egress workloads ---------------------------------------------------------------------
        self.workload_security_group = SecurityGroup(
            self, "workload_sg", name=f"{name}-egress-workloads", vpc_id=vpc_id,
            description="Egress workloads: no inbound; HTTPS out, the firewall allows only the listed domains",
            ingress=[],
            egress=[SecurityGroupEgress(
                description="HTTPS out; Network Firewall passes only the allow-listed names (TLS SNI)",
                protocol="tcp", from_port=443, to_port=443, cidr_blocks=["0.0.0.0/0"])],
            tags={"Name": f"{name}-egress-workloads"},
        )

        # -- logs ------------------------------------------------------------------------------------------------
        # Vended-log delivery to S3 (https://docs.aws.amazon.com/network-firewall/latest/developerguide/logging-s3.html):
        # the log-delivery service writes under <prefix>/AWSLogs/<account>/ only, for this account's deliveries.
        delivery_source = f"arn:aws:logs:{region}:{account}:*"
        log_archive.allow_service_delivery(
            sid="NetworkFirewallLogsDelivery", service="delivery.logs.amazonaws.com",
            prefix=f"{LOG_PREFIX}/AWSLogs/{account}/", source_account=account, source_arn=delivery_source,
            extra_bucket_actions=LOG_DELIVERY_BUCKET_CHECK)
        if log_archive.key is not None:
            log_archive.key.grant_service(
                sid="NetworkFirewallLogsEncrypt", service="delivery.logs.amazonaws.com",
                key_actions=actions.KMS_SERVICE_ENCRYPT,
                conditions={"StringEquals": {"aws:SourceAccount": account},
                            "ArnLike": {"aws:SourceArn": delivery_source}})
        self.logging = NetworkfirewallLoggingConfiguration(
            self, "logging", firewall_arn=self.firewall.arn,
            logging_configuration=NetworkfirewallLoggingConfigurationLoggingConfiguration(log_destination_config=[
                NetworkfirewallLoggingConfigurationLoggingConfigurationLogDestinationConfig(
                    log_type=log_type, log_destination_type="S3",
                    log_destination={"bucketName": log_archive.bucket_name, "prefix": LOG_PREFIX})
                for log_type in ("ALERT", "FLOW")]),
            depends_on=log_archive.ready_for_writes,
        )

        # -- alarms ----------------------------------------------------------------------------------------------
        self.alarms: list[CloudwatchMetricAlarm] = []
        common: dict[str, Any] = {"evaluation_periods": 1, "treat_missing_data": "notBreaching",
                                  "alarm_actions": [alert_topic.topic_arn], "ok_actions": [alert_topic.topic_arn]}
        for index, zone in enumerate(self.zones):
            self.alarms.append(CloudwatchMetricAlarm(
                self, f"blocked_attempts_{index}", alarm_name=f"{name}-egress-blocked-{zone}",
                alarm_description=f"Network Firewall dropped egress in {zone}: a workload tried a name or a path that "
                "is not on the allow-list",
                namespace=METRIC_NAMESPACE, metric_name=DROPPED_METRIC, statistic="Sum", period=300,
                dimensions={"AvailabilityZone": zone, "Engine": "Stateful", "FirewallName": self.firewall.name},
                comparison_operator="GreaterThanOrEqualToThreshold", threshold=props.dropped_packets_threshold,
                **common))

    # -- attributes -------------------------------------------------------------------------------------------------
    @property
    def workload_subnet_ids(self) -> list[str]:
        """Subnets whose workloads may reach the allowed domains (and nothing else outside)."""
        return [s.id for s in self.workload_subnets]

    @property
    def firewall_arn(self) -> str:
        return self.firewall.arn

    @property
    def firewall_name(self) -> str:
        return self.firewall.name

    def decide(self, host: str, *, source_ip: str | None = None) -> tuple[bool, str]:
        """:func:`egress_decision` over this construct's synthesized allow-list; with ``source_ip``, also whether the
        caller is an egress workload at all (HOME_NET: the egress-workload subnets). Any other address of the VPC
        has no route to the firewall, and the rule group's pass rules do not match it."""
        if source_ip is not None:
            address = ipaddress.ip_address(source_ip)
            if not any(address in ipaddress.ip_network(cidr) for cidr in self.workload_cidrs):
                subnets = ", ".join(self.workload_cidrs)
                return False, (f"drop: {source_ip} is not in an egress-workload subnet ({subnets}): no route to the "
                               "firewall, and outside HOME_NET no pass rule matches")
        return egress_decision(self.allowed_domains, host)

    # -- internals --------------------------------------------------------------------------------------------------
    def _route_table(self, tier: str, index: int, zone: str, subnet: Subnet) -> RouteTable:
        table = RouteTable(self, f"{tier}_routes_{index}", vpc_id=self.network.vpc_id,
                           tags={"Name": f"{self.props.name_prefix}-egress-{tier}-{zone}"})
        RouteTableAssociation(self, f"{tier}_subnet_{index}_routes", subnet_id=subnet.id, route_table_id=table.id)
        self.route_tables[tier].append(table)
        return table

    def _fit_into(self, network: PrivateNetwork) -> None:
        """The egress block lies inside the VPC, clear of the private subnets, and its zones are the network's."""
        validation.egress_block_in_vpc(self.props.cidr_block, vpc_cidr=network.props.cidr_block,
                                       private_subnets=_private_subnets(network), network=network.construct_path)
        missing = [zone for zone in self.zones if zone not in network.props.availability_zones]
        if missing:
            raise InvalidInput(f"availability zones {missing} are not zones of {network.construct_path}",
                               fix=f"use zones of {list(network.props.availability_zones)}",
                               field=("availability_zones",))
        if len(self.zones) > MAX_ZONES:
            raise InvalidInput(f"{len(self.zones)} zones; the egress plan has {MAX_ZONES} slots",
                               fix=f"name at most {MAX_ZONES} availability_zones", field=("availability_zones",))

    def _endpoint_in(self, zone: str) -> str:
        """The firewall endpoint (``vpce-...``) of ``zone``: ``firewall_status[0].sync_states`` is a set of
        ``{availability_zone, attachment[{endpoint_id, subnet_id}]}``, one per mapped subnet."""
        return (f"${{[for state in tolist({self.firewall.fqn}.firewall_status[0].sync_states) : "
                f"state.attachment[0].endpoint_id if state.availability_zone == \"{zone}\"][0]}}")
