"""External model APIs by domain allow-list (docs/controls.md, "Model APIs"; issue 19 B), on every environment's
synthesized JSON.

Where ``serving.model_apis.external`` is configured (a cloud environment): AWS Network Firewall in the serving VPC
with exactly the configured domains, default drop; only the egress-workload subnets route to the firewall, the
firewall subnets to NAT, NAT to the internet gateway; the named workloads -- and only they -- sit in the egress-workload
subnets; S3 stays on the gateway endpoint; logs to the archive, alarms to the alert topic. Where it is off: no
internet gateway, NAT gateway, Elastic IP, firewall or route out exists. In the emulator the whole path is switched
off by the NETWORK_FIREWALL capability, named in the outputs.
"""

from __future__ import annotations

import ipaddress
import json
from typing import Any

import pytest

from stacks.config import emulator_gaps
from stacks.config.model import LoadedEnvironment
from tests.conftest import Synthesized
from tests.tfjson import EGRESS_PATH, as_list, by_path, logical_id, path_of, resources, statements, target

EGRESS_TYPES = ("aws_internet_gateway", "aws_nat_gateway", "aws_eip", "aws_networkfirewall_firewall",
                "aws_networkfirewall_firewall_policy", "aws_networkfirewall_rule_group",
                "aws_networkfirewall_logging_configuration", "aws_route", "aws_egress_only_internet_gateway")


def _external(synthesized: Synthesized, env_name: str) -> Any:
    return synthesized.environments[env_name].config.serving.model_apis.external


def _ref(stack: dict[str, Any], type_name: str, path: str, attr: str = "id") -> str:
    return f"${{{type_name}.{logical_id(stack, type_name, path)}.{attr}}}"


def test_the_environments_show_both_states(loaded_environments: dict[str, LoadedEnvironment]) -> None:
    states = {name: env.config.serving.model_apis.external is not None and not env.config.is_emulated
              for name, env in loaded_environments.items()}
    assert any(states.values()) and not all(states.values()), states


def test_no_way_out_unless_external_model_apis_are_configured(synthesized: Synthesized, env_name: str) -> None:
    stack = synthesized.stack(env_name)
    config = synthesized.environments[env_name].config
    if config.serving.model_apis.external is not None and not config.is_emulated:
        pytest.skip("external model APIs configured here (see the other tests)")
    for type_name in EGRESS_TYPES:
        assert type_name not in stack["resource"], type_name
    assert not [p for t in stack["resource"] for p in by_path(stack, t) if p.startswith(EGRESS_PATH)]
    gaps = stack["output"]["emulator_capability_gaps"]["value"]
    assert (emulator_gaps.NETWORK_FIREWALL.control in gaps) == (config.serving.model_apis.external is not None)


@pytest.fixture
def egress(synthesized: Synthesized, env_name: str) -> tuple[dict[str, Any], Any]:
    external = _external(synthesized, env_name)
    if external is None or synthesized.environments[env_name].config.is_emulated:
        pytest.skip("no egress path here (see test_no_way_out_unless_external_model_apis_are_configured)")
    return synthesized.stack(env_name), external


def _tiers(stack: dict[str, Any]) -> dict[str, set[str]]:
    """Route-table reference -> the tiers ("tier" tag) of the subnets associated with it."""
    subnets = by_path(stack, "aws_subnet")
    tiers: dict[str, set[str]] = {}
    for association in resources(stack, "aws_route_table_association").values():
        subnet = target(stack, association["subnet_id"])
        tier = subnet.get("tags", {}).get("tier", "private")
        assert subnet in subnets.values()
        tiers.setdefault(association["route_table_id"], set()).add(tier)
    return tiers


def test_the_allow_list_is_the_configured_domains_and_everything_else_is_dropped(
        egress: tuple[dict[str, Any], Any]) -> None:
    stack, external = egress
    (group,) = by_path(stack, "aws_networkfirewall_rule_group").values()
    assert group["type"] == "STATEFUL"
    source = group["rule_group"]["rules_source"]["rules_source_list"]
    assert source["generated_rules_type"] == "ALLOWLIST"
    assert sorted(source["targets"]) == sorted(external.allowed_domains)
    assert sorted(source["target_types"]) == ["HTTP_HOST", "TLS_SNI"]
    home = group["rule_group"]["rule_variables"]["ip_sets"]
    assert [h["key"] for h in home] == ["HOME_NET"]
    workload_cidrs = sorted(s["cidr_block"] for p, s in by_path(stack, "aws_subnet").items()
                            if p.startswith(f"{EGRESS_PATH}workload_subnet_"))
    assert sorted(home[0]["ip_set"]["definition"]) == workload_cidrs
    assert group["rule_group"]["stateful_rule_options"]["rule_order"] == "STRICT_ORDER"
    (policy,) = by_path(stack, "aws_networkfirewall_firewall_policy").values()
    settings = policy["firewall_policy"]
    assert settings["stateful_default_actions"] == ["aws:drop_established", "aws:alert_established"]
    assert settings["stateless_default_actions"] == ["aws:forward_to_sfe"]
    assert settings["stateless_fragment_default_actions"] == ["aws:forward_to_sfe"]
    assert settings["stateful_engine_options"] == {"rule_order": "STRICT_ORDER", "stream_exception_policy": "DROP"}
    (reference,) = settings["stateful_rule_group_reference"]
    assert target(stack, reference["resource_arn"]) is group
    (firewall,) = by_path(stack, "aws_networkfirewall_firewall").values()
    assert target(stack, firewall["firewall_policy_arn"]) is policy
    assert target(stack, firewall["vpc_id"]) is by_path(stack, "aws_vpc")["serving_network/vpc"]
    assert firewall["delete_protection"] is True and firewall["subnet_change_protection"] is True
    assert firewall["firewall_policy_change_protection"] is True
    logs_key = _ref(stack, "aws_kms_key", "keys/logs/key", "arn")
    for resource in (group, policy, firewall):
        assert resource["encryption_configuration"] == {"type": "CUSTOMER_KMS", "key_id": logs_key}


def test_only_egress_workload_subnets_route_to_the_firewall_firewall_to_nat_nat_to_igw(
        egress: tuple[dict[str, Any], Any], synthesized: Synthesized, env_name: str) -> None:
    stack, external = egress
    config = synthesized.environments[env_name].config
    tiers = _tiers(stack)
    firewall_type = "aws_networkfirewall_firewall"
    firewall = f"{firewall_type}.{logical_id(stack, firewall_type, f'{EGRESS_PATH}firewall')}"
    zones_of = {}  # route table -> the availability zones of its subnets
    for association in resources(stack, "aws_route_table_association").values():
        zones_of.setdefault(association["route_table_id"], set()).add(
            target(stack, association["subnet_id"])["availability_zone"])
    gateways = {_ref(stack, "aws_internet_gateway", f"{EGRESS_PATH}internet_gateway")}
    nats = {_ref(stack, "aws_nat_gateway", p) for p in by_path(stack, "aws_nat_gateway")}
    workload_cidrs = {s["cidr_block"] for p, s in by_path(stack, "aws_subnet").items()
                      if p.startswith(f"{EGRESS_PATH}workload_subnet_")}
    seen = {"egress-workload": 0, "egress-firewall": 0, "egress-nat": 0}
    for route in resources(stack, "aws_route").values():
        (tier,) = tiers[route["route_table_id"]]  # every route table with a route serves one tier
        destination = route["destination_cidr_block"]
        if "vpc_endpoint_id" in route:
            # the firewall's endpoint in the table's own zone (symmetric routing per zone)
            (zone,) = zones_of[route["route_table_id"]]
            assert route["vpc_endpoint_id"] == (
                f"${{[for state in tolist({firewall}.firewall_status[0].sync_states) : "
                f"state.attachment[0].endpoint_id if state.availability_zone == \"{zone}\"][0]}}")
            # out of the egress-workload subnets, or replies back to them from the NAT subnets
            assert (tier, destination == "0.0.0.0/0") in {("egress-workload", True), ("egress-nat", False)}, route
            if tier == "egress-nat":
                assert destination in workload_cidrs
        elif "nat_gateway_id" in route:
            assert (tier, destination, route["nat_gateway_id"] in nats) == ("egress-firewall", "0.0.0.0/0", True)
        else:
            assert (tier, destination, route["gateway_id"] in gateways) == ("egress-nat", "0.0.0.0/0", True), route
        seen[tier] += destination == "0.0.0.0/0"
    zones = len(config.availability_zones)
    assert seen == {"egress-workload": zones, "egress-firewall": zones, "egress-nat": zones}
    # the private subnets' tables (both VPCs) hold no route out at all
    for table_ref, table_tiers in tiers.items():
        if table_tiers == {"private"}:
            assert not [r for r in resources(stack, "aws_route").values() if r["route_table_id"] == table_ref]
    # the egress block is the configured one, inside the serving VPC
    block = ipaddress.ip_network(external.cidr_block)
    egress_subnets = [s for p, s in by_path(stack, "aws_subnet").items() if p.startswith(EGRESS_PATH)]
    assert len(egress_subnets) == 3 * zones
    assert all(ipaddress.ip_network(s["cidr_block"]).subnet_of(block) for s in egress_subnets)  # type: ignore[arg-type]
    assert all(s["map_public_ip_on_launch"] is False for s in egress_subnets)
    (igw,) = by_path(stack, "aws_internet_gateway").values()
    assert target(stack, igw["vpc_id"]) is by_path(stack, "aws_vpc")["serving_network/vpc"]
    assert all(n["connectivity_type"] == "public" for n in by_path(stack, "aws_nat_gateway").values())


def test_s3_stays_on_the_gateway_endpoint_for_egress_workloads(egress: tuple[dict[str, Any], Any]) -> None:
    stack, _ = egress
    endpoint = by_path(stack, "aws_vpc_endpoint")["serving_network/s3_gateway"]
    workload_tables = {_ref(stack, "aws_route_table", p) for p in by_path(stack, "aws_route_table")
                       if p.startswith(f"{EGRESS_PATH}workload_routes_")}
    assert workload_tables and workload_tables <= set(endpoint["route_table_ids"])
    assert _ref(stack, "aws_route_table", "serving_network/private_routes") in endpoint["route_table_ids"]
    # the firewall and NAT tiers do not need S3
    assert len(endpoint["route_table_ids"]) == 1 + len(workload_tables)


def test_only_the_named_workloads_are_on_the_egress_path(egress: tuple[dict[str, Any], Any]) -> None:
    stack, external = egress
    workload_subnets = {_ref(stack, "aws_subnet", p) for p in by_path(stack, "aws_subnet")
                        if p.startswith(f"{EGRESS_PATH}workload_subnet_")}
    egress_group = _ref(stack, "aws_security_group", f"{EGRESS_PATH}workload_sg")
    placed = set()
    for type_name, field in (("aws_autoscaling_group", "vpc_zone_identifier"), ("aws_instance", "subnet_id"),
                             ("aws_lambda_function", "vpc_config"), ("aws_batch_compute_environment",
                                                                     "compute_resources")):
        for path, body in by_path(stack, type_name).items():
            if set(map(str, as_list(body.get(field)))) & workload_subnets or workload_subnets & set(
                    json.dumps(body.get(field, "")).replace('"', " ").split()):
                placed.add(path)
    expected = {"inference_fleet/group"} if "inference_fleet" in external.workloads else set()
    assert placed == expected
    users = {path for path, body in by_path(stack, "aws_launch_template").items()
             if egress_group in json.dumps(body.get("network_interfaces", []))}
    assert users == ({"inference_fleet/launch_template"} if expected else set())
    # nothing else references the egress group or subnets (interface endpoints stay in the private subnets)
    for type_name in stack["resource"]:
        for path, body in by_path(stack, type_name).items():
            if path.startswith(EGRESS_PATH) or path in expected | users:
                continue
            text = json.dumps(body)
            assert egress_group not in text and not [s for s in workload_subnets if s in text], path


def test_firewall_logs_go_to_the_archive_and_blocked_attempts_alarm_the_alert_topic(
        egress: tuple[dict[str, Any], Any], synthesized: Synthesized, env_name: str) -> None:
    stack, external = egress
    config = synthesized.environments[env_name].config
    (logging,) = by_path(stack, "aws_networkfirewall_logging_configuration").values()
    destinations = logging["logging_configuration"]["log_destination_config"]
    assert sorted(d["log_type"] for d in destinations) == ["ALERT", "FLOW"]
    archive = _ref(stack, "aws_s3_bucket", "log_archive/archive/bucket", "bucket")
    for destination in destinations:
        assert destination["log_destination_type"] == "S3"
        assert destination["log_destination"] == {"bucketName": archive, "prefix": "network-firewall"}
    archive_policy = by_path(stack, "aws_s3_bucket_policy")["log_archive/archive/policy"]["policy"]
    (delivery,) = [s for s in statements(archive_policy) if s.get("Sid") == "NetworkFirewallLogsDelivery"]
    assert delivery["Principal"] == {"Service": "delivery.logs.amazonaws.com"}
    assert all(r.endswith(f"/network-firewall/AWSLogs/{config.account_id}/*") for r in as_list(delivery["Resource"]))
    assert delivery["Condition"]["StringEquals"]["aws:SourceAccount"] == config.account_id
    topic = _ref(stack, "aws_sns_topic", "alert_topic/topic", "arn")
    alarms = {p: a for p, a in by_path(stack, "aws_cloudwatch_metric_alarm").items() if p.startswith(EGRESS_PATH)}
    assert sorted(a["dimensions"]["AvailabilityZone"] for a in alarms.values()) == sorted(config.availability_zones)
    firewall_name = _ref(stack, "aws_networkfirewall_firewall", f"{EGRESS_PATH}firewall", "name")
    for alarm in alarms.values():
        assert (alarm["namespace"], alarm["metric_name"]) == ("AWS/NetworkFirewall", "DroppedPackets")
        assert alarm["dimensions"]["FirewallName"] == firewall_name and alarm["dimensions"]["Engine"] == "Stateful"
        assert alarm["threshold"] == external.dropped_packets_threshold
        assert alarm["alarm_actions"] == [topic]


def test_nothing_outside_can_connect_in(egress: tuple[dict[str, Any], Any]) -> None:
    """The egress path opens no door inward: no public address on any instance or subnet, no security group admits
    anything from outside the VPC, and the egress NACL admits from outside only replies to the NAT's ports."""
    stack, _ = egress
    assert not [p for p, t in by_path(stack, "aws_launch_template").items()
                if any(n.get("associate_public_ip_address") != "false" for n in t.get("network_interfaces", []))]
    nacl = by_path(stack, "aws_network_acl")[f"{EGRESS_PATH}egress_nacl"]
    outside = [r for r in nacl["ingress"] if r["cidr_block"] == "0.0.0.0/0"]
    assert [(r["protocol"], r["from_port"], r["to_port"]) for r in outside] == [("6", 1024, 65535)]
    for path, group in by_path(stack, "aws_security_group").items():
        for rule in group.get("ingress", []):
            assert "0.0.0.0/0" not in as_list(rule.get("cidr_blocks")), path
    assert not [e for e in by_path(stack, "aws_eip").values() if "instance" in e or "network_interface" in e]
    assert all(path_of(e).startswith(f"{EGRESS_PATH}nat_address_") for e in resources(stack, "aws_eip").values())


def test_an_emulator_with_external_model_apis_builds_no_egress_and_names_the_switch(
        tmp_path_factory: pytest.TempPathFactory, loaded_environments: dict[str, LoadedEnvironment]) -> None:
    """`local` leaves external model APIs off; one that turns them on gets the NETWORK_FIREWALL switch named in its
    outputs and no way out at all (no firewall means no egress, never an unfiltered one)."""
    from stacks.config.model import EnvironmentConfig
    from stacks.synth import synthesize

    local = loaded_environments["local"]
    data = local.config.model_dump(mode="json", exclude_none=True)
    vpc = local.config.network.serving_vpc_cidr
    block = str(list(ipaddress.ip_network(vpc).subnets(new_prefix=20))[-1])
    data["serving"]["model_apis"] = {"external": {"allowed_domains": ["api.openai.com"], "cidr_block": block,
                                                  "workloads": ["inference_fleet"]}}
    variant = LoadedEnvironment(name="local", source=local.source, config=EnvironmentConfig.model_validate(data))
    outdir = tmp_path_factory.mktemp("synth-local-egress") / "cdktf.out"
    synthesize([variant], outdir)
    stack = json.loads((outdir / "stacks" / "local" / "cdk.tf.json").read_text(encoding="utf-8"))
    assert emulator_gaps.NETWORK_FIREWALL.control in stack["output"]["emulator_capability_gaps"]["value"]
    assert emulator_gaps.NETWORK_FIREWALL in emulator_gaps.GAPS  # listed in every deploy summary
    for type_name in EGRESS_TYPES:
        assert type_name not in stack["resource"], type_name
    (group,) = resources(stack, "aws_autoscaling_group").values()
    private = {_ref(stack, "aws_subnet", p) for p in by_path(stack, "aws_subnet") if p.startswith("serving_network/")}
    assert set(group["vpc_zone_identifier"]) == private
