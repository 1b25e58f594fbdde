"""ModelEgress alone: the only way out of a PrivateNetwork -- routes, the allow-list rule group, the strict-order policy
with drop/alert defaults, protections, logs, alarms, the workload group -- and the refusal of bad domains and address
plans; egress_decision against Network Firewall's domain-list semantics; DnsFirewall.allow_domains for that VPC only."""

from __future__ import annotations

import ipaddress
import json
import re
import shutil
from pathlib import Path
from typing import Any

import pytest
from cdktf_cdktf_provider_aws.cloudwatch_metric_alarm import CloudwatchMetricAlarm
from cdktf_cdktf_provider_aws.internet_gateway import InternetGateway
from cdktf_cdktf_provider_aws.nat_gateway import NatGateway
from cdktf_cdktf_provider_aws.network_acl import NetworkAcl
from cdktf_cdktf_provider_aws.networkfirewall_firewall import NetworkfirewallFirewall
from cdktf_cdktf_provider_aws.networkfirewall_firewall_policy import NetworkfirewallFirewallPolicy
from cdktf_cdktf_provider_aws.networkfirewall_logging_configuration import NetworkfirewallLoggingConfiguration
from cdktf_cdktf_provider_aws.networkfirewall_rule_group import NetworkfirewallRuleGroup
from cdktf_cdktf_provider_aws.route import Route
from cdktf_cdktf_provider_aws.route53_resolver_firewall_domain_list import Route53ResolverFirewallDomainList
from cdktf_cdktf_provider_aws.route53_resolver_firewall_rule import Route53ResolverFirewallRule
from cdktf_cdktf_provider_aws.route53_resolver_firewall_rule_group_association import (
    Route53ResolverFirewallRuleGroupAssociation,
)
from cdktf_cdktf_provider_aws.route_table import RouteTable
from cdktf_cdktf_provider_aws.route_table_association import RouteTableAssociation
from cdktf_cdktf_provider_aws.s3_bucket_policy import S3BucketPolicy
from cdktf_cdktf_provider_aws.security_group import SecurityGroup
from cdktf_cdktf_provider_aws.subnet import Subnet
from construct_testing import ACCOUNT, REGION, by_sid, new_stack, one, policy, resources, synth
from constructs import Construct
from pydantic import ValidationError

from zero_trust_ai.alert_topic import AlertTopic, AlertTopicProps
from zero_trust_ai.dns_firewall import DnsFirewall, DnsFirewallProps
from zero_trust_ai.model_egress import (
    ModelEgress,
    ModelEgressProps,
    allowed_domain,
    egress_decision,
    egress_plan,
)
from zero_trust_ai.platform_key import PlatformKey, PlatformKeyProps
from zero_trust_ai.private_network import PrivateNetwork, PrivateNetworkProps
from zero_trust_ai.secure_bucket import SecureBucket, SecureBucketProps
from zero_trust_ai.validation import InvalidInput

ZONES = [f"{REGION}a", f"{REGION}b"]
DOMAINS = ["api.openai.com", ".api.example.com"]
EGRESS_CIDR = "10.10.240.0/20"
DEPLOYER = f"arn:aws:iam::{ACCOUNT}:role/deployer"
NETWORK: dict[str, Any] = {"name": "test-serving", "cidr_block": "10.10.0.0/16", "availability_zones": ZONES,
                           "subnet_prefix_length": 20, "region": REGION, "account_id": ACCOUNT,
                           "allowed_bucket_patterns": ["test-*"]}
EGRESS: dict[str, Any] = {"name_prefix": "test-serving", "region": REGION, "account_id": ACCOUNT,
                          "cidr_block": EGRESS_CIDR, "allowed_domains": DOMAINS}


class Parts:
    def __init__(self, scope: Construct, *, network: dict[str, Any] | None = None) -> None:
        self.key = PlatformKey(scope, "logs_key", props=PlatformKeyProps(alias="alias/test-logs",
                                                                         description="test logs key",
                                                                         account_id=ACCOUNT))
        self.archive = SecureBucket(scope, "archive", props=SecureBucketProps(
            bucket_name="test-log-archive", owner_account_id=ACCOUNT, encryption_key=self.key, access_log_bucket=None,
            access_log_opt_out_reason="the archive is the access log target in this test"))
        self.topic = AlertTopic(scope, "alerts", props=AlertTopicProps(topic_name="test-alerts", account_id=ACCOUNT,
                                                                       region=REGION), key=self.key)
        self.network = PrivateNetwork(scope, "serving", props=PrivateNetworkProps(**{**NETWORK, **(network or {})}),
                                      flow_log_archive=self.archive, logs_key=self.key)

    def egress(self, scope: Construct, **overrides: Any) -> ModelEgress:
        return ModelEgress(scope, "egress", props=ModelEgressProps(**{**EGRESS, **overrides}), network=self.network,
                           log_archive=self.archive, logs_key=self.key, alert_topic=self.topic,
                           deployment_principal_arn=DEPLOYER)


def _build(scope: Construct) -> None:
    parts = Parts(scope)
    other = PrivateNetwork(scope, "training", props=PrivateNetworkProps(**{**NETWORK, "name": "test-training",
                                                                           "cidr_block": "10.20.0.0/16"}),
                           flow_log_archive=parts.archive, logs_key=parts.key)
    egress = parts.egress(scope)
    dns = DnsFirewall(scope, "dns", props=DnsFirewallProps(name_prefix="test", region=REGION),
                      networks=[parts.network, other])
    dns.allow_domains(egress.allowed_domains, network=parts.network)


@pytest.fixture(scope="module")
def stack() -> dict[str, Any]:
    return synth(_build)


def _named(synthesized: dict[str, Any], kind: str, prefix: str) -> dict[str, dict[str, Any]]:
    return {name: body for name, body in synthesized.get("resource", {}).get(kind, {}).items()
            if name.startswith(prefix)}


def _ref(kind: str, name: str, attribute: str = "id") -> str:
    return f"${{{kind}.{name}.{attribute}}}"


def _tables_by_tier(stack: dict[str, Any]) -> dict[str, set[str]]:
    """route table logical id -> the tiers of the subnets associated with it."""
    subnets = stack["resource"][Subnet.TF_RESOURCE_TYPE]
    tiers: dict[str, set[str]] = {}
    for association in resources(stack, RouteTableAssociation.TF_RESOURCE_TYPE):
        subnet = association["subnet_id"].split(".")[1]
        table = association["route_table_id"].split(".")[1]
        tiers.setdefault(table, set()).add(subnets[subnet]["tags"]["tier"])
    return tiers


def _routes_of(stack: dict[str, Any], table: str) -> list[dict[str, Any]]:
    return [r for r in resources(stack, Route.TF_RESOURCE_TYPE)
            if r["route_table_id"] == _ref(RouteTable.TF_RESOURCE_TYPE, table)]


# -- address plan -----------------------------------------------------------------------------------------------------
def test_subnets_follow_the_documented_plan_inside_the_vpc_clear_of_the_private_subnets(stack: dict[str, Any]) -> None:
    plan = egress_plan(EGRESS_CIDR, 2)
    assert plan == {"workload": ["10.10.240.0/23", "10.10.242.0/23"], "firewall": ["10.10.248.0/24", "10.10.249.0/24"],
                    "nat": ["10.10.252.0/24", "10.10.253.0/24"]}
    subnets = resources(stack, Subnet.TF_RESOURCE_TYPE)
    by_tier: dict[str, list[str]] = {}
    for subnet in subnets:
        by_tier.setdefault(subnet["tags"]["tier"], []).append(subnet["cidr_block"])
        assert subnet["map_public_ip_on_launch"] is False
    assert {tier: sorted(cidrs) for tier, cidrs in by_tier.items() if tier.startswith("egress-")} == {
        f"egress-{tier}": sorted(cidrs) for tier, cidrs in plan.items()}
    private = [ipaddress.ip_network(c) for c in by_tier["private"]]
    for cidr in [c for cidrs in plan.values() for c in cidrs]:
        network = ipaddress.IPv4Network(cidr)
        assert network.subnet_of(ipaddress.IPv4Network("10.10.0.0/16"))
        assert not any(network.overlaps(p) for p in private)


def test_adding_a_zone_moves_no_subnet() -> None:
    two, three = egress_plan(EGRESS_CIDR, 2), egress_plan(EGRESS_CIDR, 3)
    assert all(three[tier][:2] == two[tier] for tier in two)
    assert egress_plan("10.10.255.0/24", 4)["firewall"][3] == "10.10.255.176/28"


# -- routes -----------------------------------------------------------------------------------------------------------
def test_only_egress_workload_subnets_route_through_the_firewall(stack: dict[str, Any]) -> None:
    tiers = _tables_by_tier(stack)
    firewall = next(iter(_named(stack, NetworkfirewallFirewall.TF_RESOURCE_TYPE, "egress_firewall")))
    via_firewall = [(table, route) for table in tiers for route in _routes_of(stack, table)
                    if "vpc_endpoint_id" in route]
    assert via_firewall
    for table, route in via_firewall:
        assert tiers[table] in ({"egress-workload"}, {"egress-nat"}), table
        assert f"aws_networkfirewall_firewall.{firewall}.firewall_status[0].sync_states" in route["vpc_endpoint_id"]
    workload_tables = [t for t, tier in tiers.items() if tier == {"egress-workload"}]
    assert len(workload_tables) == len(ZONES)
    for index, table in enumerate(sorted(workload_tables)):
        (route,) = _routes_of(stack, table)
        assert route["destination_cidr_block"] == "0.0.0.0/0"
        assert f'state.availability_zone == "{ZONES[index]}"' in route["vpc_endpoint_id"]


def test_firewall_subnets_route_to_nat_and_nat_subnets_to_the_internet_gateway(stack: dict[str, Any]) -> None:
    tiers = _tables_by_tier(stack)
    igw = next(iter(_named(stack, InternetGateway.TF_RESOURCE_TYPE, "egress_")))
    nats = sorted(_named(stack, NatGateway.TF_RESOURCE_TYPE, "egress_"))
    firewall_tables = sorted(t for t, tier in tiers.items() if tier == {"egress-firewall"})
    nat_tables = sorted(t for t, tier in tiers.items() if tier == {"egress-nat"})
    assert len(firewall_tables) == len(nat_tables) == len(nats) == len(ZONES)
    for index, table in enumerate(firewall_tables):
        (route,) = _routes_of(stack, table)
        assert route == {"destination_cidr_block": "0.0.0.0/0", "route_table_id": _ref("aws_route_table", table),
                         "nat_gateway_id": _ref(NatGateway.TF_RESOURCE_TYPE, nats[index])}
    workload_cidrs = sorted(egress_plan(EGRESS_CIDR, 2)["workload"])
    for index, table in enumerate(nat_tables):
        routes = _routes_of(stack, table)
        internet = [r for r in routes if r["destination_cidr_block"] == "0.0.0.0/0"]
        assert internet == [{"destination_cidr_block": "0.0.0.0/0", "route_table_id": _ref("aws_route_table", table),
                             "gateway_id": _ref(InternetGateway.TF_RESOURCE_TYPE, igw)}]
        returns = [r for r in routes if r["destination_cidr_block"] != "0.0.0.0/0"]
        # symmetric: the way back to every egress-workload CIDR is this zone's firewall endpoint
        assert sorted(r["destination_cidr_block"] for r in returns) == workload_cidrs
        assert all(f'state.availability_zone == "{ZONES[index]}"' in r["vpc_endpoint_id"] for r in returns)
    nat_subnets = {n: s for n, s in stack["resource"]["aws_subnet"].items() if s["tags"]["tier"] == "egress-nat"}
    assert sorted(stack["resource"][NatGateway.TF_RESOURCE_TYPE][n]["subnet_id"] for n in nats) == sorted(
        _ref("aws_subnet", n) for n in nat_subnets)


def test_no_other_route_table_gains_an_internet_route(stack: dict[str, Any]) -> None:
    tiers = _tables_by_tier(stack)
    to_igw = {r["route_table_id"] for r in resources(stack, Route.TF_RESOURCE_TYPE) if "gateway_id" in r}
    assert to_igw == {_ref("aws_route_table", t) for t, tier in tiers.items() if tier == {"egress-nat"}}
    egress_tables = {t for t, tier in tiers.items() if tier <= {"egress-workload", "egress-firewall", "egress-nat"}}
    for table, tier in tiers.items():
        if table in egress_tables:
            continue
        assert tier == {"private"}, table
        assert not _routes_of(stack, table), f"{table} gained routes"
        assert not stack["resource"]["aws_route_table"][table].get("route")
    for default in resources(stack, "aws_default_route_table"):
        assert default["route"] == []
    # one internet gateway, in the egress VPC only, and the other VPC has none of the egress resources
    assert len(resources(stack, InternetGateway.TF_RESOURCE_TYPE)) == 1
    assert one(stack, InternetGateway.TF_RESOURCE_TYPE)["vpc_id"].startswith("${aws_vpc.serving_vpc")


# -- the firewall -----------------------------------------------------------------------------------------------------
def test_rule_group_is_an_allowlist_of_exactly_the_configured_domains(stack: dict[str, Any]) -> None:
    group = one(stack, NetworkfirewallRuleGroup.TF_RESOURCE_TYPE)
    assert group["type"] == "STATEFUL"
    source = group["rule_group"]["rules_source"]["rules_source_list"]
    assert source["generated_rules_type"] == "ALLOWLIST"
    assert source["targets"] == DOMAINS
    assert sorted(source["target_types"]) == ["HTTP_HOST", "TLS_SNI"]
    (home_net,) = group["rule_group"]["rule_variables"]["ip_sets"]
    assert home_net["key"] == "HOME_NET"
    assert home_net["ip_set"]["definition"] == egress_plan(EGRESS_CIDR, 2)["workload"]
    assert group["rule_group"]["stateful_rule_options"]["rule_order"] == "STRICT_ORDER"


def test_policy_is_strict_order_and_drops_and_alerts_on_everything_not_allowed(stack: dict[str, Any]) -> None:
    body = one(stack, NetworkfirewallFirewallPolicy.TF_RESOURCE_TYPE)["firewall_policy"]
    assert body["stateful_engine_options"] == {"rule_order": "STRICT_ORDER", "stream_exception_policy": "DROP"}
    assert body["stateful_default_actions"] == ["aws:drop_established", "aws:alert_established"]
    assert body["stateless_default_actions"] == ["aws:forward_to_sfe"]
    assert body["stateless_fragment_default_actions"] == ["aws:forward_to_sfe"]
    group = next(iter(_named(stack, NetworkfirewallRuleGroup.TF_RESOURCE_TYPE, "egress_")))
    assert body["stateful_rule_group_reference"] == [
        {"priority": 100, "resource_arn": _ref(NetworkfirewallRuleGroup.TF_RESOURCE_TYPE, group, "arn")}]
    assert "stateless_rule_group_reference" not in body


def test_protections_on_and_everything_encrypted_with_the_logs_key(stack: dict[str, Any]) -> None:
    firewall = one(stack, NetworkfirewallFirewall.TF_RESOURCE_TYPE)
    for flag in ("delete_protection", "subnet_change_protection", "firewall_policy_change_protection"):
        assert firewall[flag] is True, flag
    key = next(iter(_named(stack, "aws_kms_key", "logs_key")))
    for kind in (NetworkfirewallFirewall, NetworkfirewallFirewallPolicy, NetworkfirewallRuleGroup):
        assert one(stack, kind.TF_RESOURCE_TYPE)["encryption_configuration"] == {
            "type": "CUSTOMER_KMS", "key_id": _ref("aws_kms_key", key, "arn")}
    firewall_subnets = {n for n, s in stack["resource"]["aws_subnet"].items() if s["tags"]["tier"] == "egress-firewall"}
    assert sorted(m["subnet_id"] for m in firewall["subnet_mapping"]) == sorted(_ref("aws_subnet", n)
                                                                              for n in firewall_subnets)
    grant = by_sid(policy(one(stack, "aws_kms_key")), "NetworkFirewallEncryptsWithThisKey")
    assert grant["Principal"] == {"AWS": DEPLOYER}
    assert grant["Condition"]["StringEquals"]["kms:ViaService"] == f"network-firewall.{REGION}.amazonaws.com"


def test_delete_protection_opt_out_needs_a_reason() -> None:
    with pytest.raises(ValidationError, match="opt-out reason"):
        ModelEgressProps(**EGRESS, delete_protection_opt_out_reason="because")
    stack = new_stack()
    egress = Parts(stack).egress(stack, delete_protection_opt_out_reason="a disposable drill environment, "
                                 "destroyed after every run")
    assert egress.firewall.delete_protection_input is False
    assert egress.firewall.subnet_change_protection_input is False


def test_alert_and_flow_logs_go_to_the_archive_under_the_firewall_prefix(stack: dict[str, Any]) -> None:
    config = one(stack, NetworkfirewallLoggingConfiguration.TF_RESOURCE_TYPE)
    bucket = next(iter(_named(stack, "aws_s3_bucket", "archive_bucket")))
    destinations = config["logging_configuration"]["log_destination_config"]
    assert sorted(d["log_type"] for d in destinations) == ["ALERT", "FLOW"]
    for destination in destinations:
        assert destination["log_destination_type"] == "S3"
        assert destination["log_destination"] == {"bucketName": _ref("aws_s3_bucket", bucket, "bucket"),
                                                  "prefix": "network-firewall"}
    document = policy(one(stack, S3BucketPolicy.TF_RESOURCE_TYPE))
    delivery = by_sid(document, "NetworkFirewallLogsDelivery")
    assert delivery["Principal"] == {"Service": "delivery.logs.amazonaws.com"}
    assert delivery["Resource"] == f"{_ref('aws_s3_bucket', bucket, 'arn')}/network-firewall/AWSLogs/{ACCOUNT}/*"
    assert delivery["Condition"]["StringEquals"] == {"aws:SourceAccount": ACCOUNT}
    assert by_sid(policy(one(stack, "aws_kms_key")), "NetworkFirewallLogsEncrypt")["Principal"] == {
        "Service": "delivery.logs.amazonaws.com"}


def test_an_alarm_per_zone_on_dropped_packets_notifies_the_alert_topic(stack: dict[str, Any]) -> None:
    alarms = sorted(_named(stack, CloudwatchMetricAlarm.TF_RESOURCE_TYPE, "egress_").values(),
                    key=lambda a: a["alarm_name"])
    firewall = next(iter(_named(stack, NetworkfirewallFirewall.TF_RESOURCE_TYPE, "egress_")))
    topic = next(iter(_named(stack, "aws_sns_topic", "alerts_")))
    assert len(alarms) == len(ZONES)
    for zone, alarm in zip(ZONES, alarms, strict=True):
        assert (alarm["namespace"], alarm["metric_name"], alarm["statistic"]) == (
            "AWS/NetworkFirewall", "DroppedPackets", "Sum")
        assert alarm["dimensions"] == {"AvailabilityZone": zone, "Engine": "Stateful",
                                       "FirewallName": _ref(NetworkfirewallFirewall.TF_RESOURCE_TYPE, firewall, "name")}
        assert alarm["threshold"] == 1 and alarm["comparison_operator"] == "GreaterThanOrEqualToThreshold"
        assert alarm["alarm_actions"] == [_ref("aws_sns_topic", topic, "arn")]
        assert alarm["treat_missing_data"] == "notBreaching"


def test_workload_group_allows_only_https_out_and_nothing_in(stack: dict[str, Any]) -> None:
    (group,) = _named(stack, SecurityGroup.TF_RESOURCE_TYPE, "egress_workload_sg").values()
    assert group["ingress"] == []
    (rule,) = group["egress"]
    assert (rule["protocol"], rule["from_port"], rule["to_port"], rule["cidr_blocks"]) == ("tcp", 443, 443,
                                                                                             ["0.0.0.0/0"])


def test_egress_subnets_have_a_nacl_that_lets_only_https_leave_the_vpc(stack: dict[str, Any]) -> None:
    (nacl,) = _named(stack, NetworkAcl.TF_RESOURCE_TYPE, "egress_").values()
    egress_subnets = {n for n, s in stack["resource"]["aws_subnet"].items() if s["tags"]["tier"].startswith("egress-")}
    assert sorted(nacl["subnet_ids"]) == sorted(_ref("aws_subnet", n) for n in egress_subnets)
    outside = [r for r in nacl["egress"] if r["cidr_block"] == "0.0.0.0/0"]
    assert [(r["protocol"], r["from_port"], r["to_port"]) for r in outside] == [("6", 443, 443)]
    assert all(r["cidr_block"] == "10.10.0.0/16" for r in nacl["egress"] if r not in outside)


# -- DNS Firewall: the same names, for this VPC only -----------------------------------------------------------------
def test_dns_firewall_lets_only_the_egress_vpc_resolve_the_allowed_domains(stack: dict[str, Any]) -> None:
    (domain_list,) = _named(stack, Route53ResolverFirewallDomainList.TF_RESOURCE_TYPE, "dns_serving_egress").values()
    assert domain_list["domains"] == ["*.api.example.com", "api.example.com", "api.openai.com"]
    (rule,) = _named(stack, Route53ResolverFirewallRule.TF_RESOURCE_TYPE, "dns_serving_allow_egress").values()
    assert rule["action"] == "ALLOW"
    associations = _named(stack, Route53ResolverFirewallRuleGroupAssociation.TF_RESOURCE_TYPE, "dns_")
    (egress_association,) = [a for n, a in associations.items() if "egress" in n]
    assert egress_association["priority"] == 100 and egress_association["mutation_protection"] == "ENABLED"
    assert egress_association["vpc_id"].startswith("${aws_vpc.serving_vpc")
    shared = [a for n, a in associations.items() if "egress" not in n]
    assert sorted(a["priority"] for a in shared) == [101, 101]  # unchanged for both VPCs


def test_dns_allow_domains_refuses_bad_names_and_unprotected_networks() -> None:
    stack = new_stack()
    parts = Parts(stack)
    dns = DnsFirewall(stack, "dns", props=DnsFirewallProps(name_prefix="test", region=REGION), networks=[parts.network])
    with pytest.raises(InvalidInput, match="wildcard"):
        dns.allow_domains(["*.example.com"], network=parts.network)
    stray = PrivateNetwork(stack, "stray", props=PrivateNetworkProps(**{**NETWORK, "name": "test-stray",
                                                                        "cidr_block": "10.30.0.0/16"}),
                           flow_log_archive=parts.archive, logs_key=parts.key)
    with pytest.raises(ValueError, match="is not protected by"):
        dns.allow_domains(DOMAINS, network=stray)
    dns.allow_domains(DOMAINS, network=parts.network)
    with pytest.raises(ValueError, match="already has its allow-list"):
        dns.allow_domains(["other.example.com"], network=parts.network)


# -- refusals ---------------------------------------------------------------------------------------------------------
@pytest.mark.parametrize(("domain", "fragment"), [
    ("*.example.com", "wildcard"),
    ("api.*.example.com", "wildcard"),
    ("api.example.*", "wildcard"),
    ("10.0.0.1", "IP literal"),
    ("[2001:db8::1]", "IP literal"),
    ("2001:db8::1", "IP literal"),
    ("Api.Example.com", "not lowercase"),
    ("api.example.com.", "ends with a dot"),
    ("com", "not a fully qualified name"),
    (".com", "not a fully qualified name"),
    ("..example.com", "not a fully qualified name"),
    ("api..example.com", "not a fully qualified name"),
    ("exa_mple.com", "not a fully qualified name"),
    ("-api.example.com", "not a fully qualified name"),
    ("api-.example.com", "not a fully qualified name"),
    ("api.example.123", "not a fully qualified name"),
    ("https://api.example.com", "not a fully qualified name"),
    ("api.example.com:443", "not a fully qualified name"),
    ("", "empty domain"),
])
def test_bad_domain_forms_are_refused(domain: str, fragment: str) -> None:
    with pytest.raises(ValidationError, match=re.escape(fragment)):
        ModelEgressProps(**{**EGRESS, "allowed_domains": [domain]})


@pytest.mark.parametrize("domain", ["api.openai.com", ".example.com", "x.y.example.co.uk", "a-b.c9.io"])
def test_good_domain_forms_are_kept_as_written(domain: str) -> None:
    assert allowed_domain(domain) == domain
    assert list(ModelEgressProps(**{**EGRESS, "allowed_domains": [domain]}).allowed_domains) == [domain]


@pytest.mark.parametrize(("overrides", "fragment"), [
    ({"allowed_domains": []}, "at least 1 item"),
    ({"allowed_domains": ["api.openai.com", "api.openai.com"]}, "listed twice"),
    ({"allowed_domains": [f"d{i}.example.com" for i in range(51)]}, "exceed rule_group_capacity"),
    ({"cidr_block": "8.8.240.0/20"}, "is not a private (RFC 1918) range"),
    ({"cidr_block": "10.10.240.0/25"}, "has prefix /25"),
    ({"cidr_block": "10.0.0.0/12"}, "has prefix /12"),
    ({"cidr_block": "10.10.240.1/20"}, "is not a valid IPv4 CIDR"),
    ({"availability_zones": ["us-east-1a"]}, "is not in region"),
    ({"availability_zones": [f"{REGION}a", f"{REGION}a"]}, "listed twice"),
    ({"availability_zones": []}, "availability_zones is empty"),
    ({"availability_zones": [f"{REGION}{z}" for z in "abcde"]}, "slots"),
    ({"name_prefix": "Bad Name"}, "name_prefix"),
    ({"extra": True}, "extra"),
])
def test_props_refuse_bad_inputs(overrides: dict[str, Any], fragment: str) -> None:
    with pytest.raises(ValidationError, match=re.escape(fragment)):
        ModelEgressProps(**{**EGRESS, **overrides})


@pytest.mark.parametrize(("overrides", "fragment"), [
    ({"cidr_block": "10.20.0.0/20"}, "is not inside the VPC's 10.10.0.0/16"),
    ({"cidr_block": "10.10.0.0/20"}, "overlaps the private subnet 10.10.0.0/20"),
    ({"cidr_block": "10.10.16.0/24"}, "overlaps the private subnet 10.10.16.0/20"),
    ({"availability_zones": [f"{REGION}c"]}, "are not zones of"),
])
def test_construct_refuses_a_block_outside_the_vpc_or_over_its_subnets(overrides: dict[str, Any],
                                                                       fragment: str) -> None:
    stack = new_stack()
    parts = Parts(stack)
    with pytest.raises(InvalidInput, match=re.escape(fragment)):
        parts.egress(stack, **overrides)


def test_one_egress_path_per_network() -> None:
    stack = new_stack()
    parts = Parts(stack)
    parts.egress(stack)
    with pytest.raises(InvalidInput, match="already has its egress path"):
        ModelEgress(stack, "second", props=ModelEgressProps(**{**EGRESS, "cidr_block": "10.10.32.0/20"}),
                    network=parts.network, log_archive=parts.archive, logs_key=parts.key, alert_topic=parts.topic,
                    deployment_principal_arn=DEPLOYER)


def test_a_block_clear_of_the_subnets_is_accepted() -> None:
    stack = new_stack()
    egress = Parts(stack).egress(stack, cidr_block="10.10.32.0/24", availability_zones=[f"{REGION}b"])
    assert egress.zones == [f"{REGION}b"] and egress.workload_cidrs == ["10.10.32.0/27"]


# -- the decision the drill uses --------------------------------------------------------------------------------------
@pytest.mark.parametrize(("host", "allowed"), [
    ("api.openai.com", True),  # exact entry
    ("API.OpenAI.com", True),  # the generated rules compare without case
    ("www.api.openai.com", False),  # an exact entry admits no subdomain
    ("openai.com", False),
    ("api.example.com", True),  # a leading-dot entry admits the domain itself ...
    ("eu.api.example.com", True),  # ... and every subdomain
    ("a.b.api.example.com", True),
    ("evil-api.example.com", False),  # look-alike: ends with "api.example.com" but not ".api.example.com"
    ("api.example.com.evil.net", False),
    ("example.com", False),
    ("api.example.com.", False),  # a trailing dot matches nothing
    ("", False),  # no SNI / Host
    ("attacker.net", False),
])
def test_egress_decision_follows_the_domain_list_semantics(host: str, allowed: bool) -> None:
    decided, rule = egress_decision(DOMAINS, host)
    assert decided is allowed, rule
    if allowed:
        assert rule.startswith("pass:")
    else:
        assert "aws:drop_established" in rule and "aws:alert_established" in rule


def test_only_egress_workloads_are_allowed_out() -> None:
    stack = new_stack()
    egress = Parts(stack).egress(stack)
    assert egress.decide("api.openai.com", source_ip="10.10.242.17") == egress_decision(DOMAINS, "api.openai.com")
    assert egress.decide("api.openai.com", source_ip="10.10.242.17")[0] is True
    allowed, rule = egress.decide("api.openai.com", source_ip="10.10.0.17")  # a private subnet of the VPC
    assert allowed is False and "not in an egress-workload subnet" in rule
    assert egress.decide("attacker.net", source_ip="10.10.240.5")[0] is False


def test_the_decision_reads_the_synthesized_allow_list(stack: dict[str, Any]) -> None:
    targets = one(stack, NetworkfirewallRuleGroup.TF_RESOURCE_TYPE)["rule_group"]["rules_source"][
        "rules_source_list"]["targets"]
    assert egress_decision(targets, "eu.api.example.com")[0] is True
    assert egress_decision(targets, "evil-api.example.com")[0] is False


# -- checkov over the throwaway stack --------------------------------------------------------------------------------
# Findings on this construct's resources, each with why it stays: the platform's register (policy/suppressions.yaml)
# needs an entry with this reason for each, scoped to the egress construct's path.
EXPECTED_FINDINGS = {
    # The project's own "no internet route" check: this construct *is* the sanctioned way out. Only the NAT subnets
    # route to the internet gateway and only the firewall subnets to NAT (the route tests above pin that down).
    ("CKV_ZTAI_001", "aws_internet_gateway.egress_internet_gateway"),
    *{("CKV_ZTAI_001", f"aws_nat_gateway.egress_nat_gateway_{i}") for i in range(len(ZONES))},
    *{("CKV_ZTAI_001", f"aws_route.egress_{tier}_internet_{i}")
      for tier in ("firewall", "nat") for i in range(len(ZONES))},
    # Return traffic to a NAT gateway arrives on its translated ports 1024-65535, which include 3389; a NAT gateway
    # accepts no unsolicited inbound connection and no host in these subnets listens.
    ("CKV_AWS_231", "aws_network_acl.egress_egress_nacl"),
    # The group is for workloads the platform places in the egress subnets; alone, nothing is attached yet.
    ("CKV2_AWS_5", "aws_security_group.egress_workload_sg"),
}


def test_checkov_over_the_throwaway_stack(stack: dict[str, Any], tmp_path: Path) -> None:
    from blueprint.gate import runner

    executable = runner.checkov_executable()
    if shutil.which(executable) is None and not Path(executable).exists():
        pytest.skip("checkov is not installed (scripts/setup.sh puts it under .tools/checkov)")
    document = tmp_path / "cdk.tf.json"
    document.write_text(json.dumps(stack), encoding="utf-8")
    scan = runner.scan({"egress": document}, tmp_path / "work", twin=False)
    failed = {(r.check_id, r.resource.rsplit("_", 1)[0]) for r in scan.records if r.result == "FAILED"}
    ours = {(check, resource) for check, resource in failed if "egress" in resource.split(".", 1)[1]}
    assert ours == EXPECTED_FINDINGS, sorted(failed)
