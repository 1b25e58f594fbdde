"""Step 4 network invariants on every environment's synthesized JSON."""

from __future__ import annotations

import ipaddress

from tests.conftest import Synthesized
from tests.layouts import delegated_archive
from tests.tfjson import EGRESS_PATH, as_list, by_path, path_of, ref, resources, statements, target

INTERFACE_SERVICES = {"sts", "kms", "logs", "ecr.api", "ecr.dkr", "sagemaker.api", "sagemaker.runtime"}
OPEN = {"0.0.0.0/0", "::/0"}


def test_two_segmented_vpcs_without_any_internet_path(synthesized: Synthesized, env_name: str) -> None:
    stack = synthesized.stack(env_name)
    config = synthesized.environments[env_name].config
    vpcs = by_path(stack, "aws_vpc")
    assert {p: v["cidr_block"] for p, v in vpcs.items()} == {
        "training_network/vpc": config.network.training_vpc_cidr,
        "serving_network/vpc": config.network.serving_vpc_cidr,
    }
    # Without serving.model_apis.external nothing leads out; with it, only the serving VPC's egress path (ModelEgress,
    # tests/test_invariants_egress.py) may hold a gateway or a route, and never in the training VPC.
    external = config.serving.model_apis.external is not None and not config.is_emulated
    for forbidden in ("aws_internet_gateway", "aws_egress_only_internet_gateway", "aws_nat_gateway", "aws_eip",
                      "aws_vpc_peering_connection", "aws_ec2_transit_gateway_vpc_attachment", "aws_route"):
        if not external or forbidden in ("aws_egress_only_internet_gateway", "aws_vpc_peering_connection",
                                         "aws_ec2_transit_gateway_vpc_attachment"):
            assert forbidden not in stack["resource"], forbidden
            continue
        found = by_path(stack, forbidden)
        assert found, forbidden
        assert all(path.startswith(EGRESS_PATH) for path in found), (forbidden, sorted(found))
    for path, table in list(by_path(stack, "aws_route_table").items()) + list(
            by_path(stack, "aws_default_route_table").items()):
        assert not table.get("route"), "no route may leave the VPC (the S3 gateway adds its own prefix-list route)"
        if path.startswith(EGRESS_PATH):
            assert external and target(stack, table["vpc_id"]) is vpcs["serving_network/vpc"], path


def test_private_subnets_in_every_configured_az(synthesized: Synthesized, env_name: str) -> None:
    stack = synthesized.stack(env_name)
    config = synthesized.environments[env_name].config
    subnets = by_path(stack, "aws_subnet")
    for network in ("training_network", "serving_network"):
        mine = [s for p, s in subnets.items() if p.startswith(network + "/")]
        assert sorted(s["availability_zone"] for s in mine) == sorted(config.availability_zones)
        vpc = target(stack, mine[0]["vpc_id"])
        for subnet in mine:
            assert subnet["map_public_ip_on_launch"] is False
            assert target(stack, subnet["vpc_id"]) is vpc
            cidr = ipaddress.ip_network(subnet["cidr_block"])
            assert cidr.prefixlen == config.network.subnet_prefix_length
            assert cidr.subnet_of(ipaddress.ip_network(vpc["cidr_block"]))  # type: ignore[arg-type]


def test_endpoints_with_https_only_security_groups_and_account_scoped_policies(
    synthesized: Synthesized, env_name: str
) -> None:
    stack = synthesized.stack(env_name)
    config = synthesized.environments[env_name].config
    single_account = synthesized.environments[env_name].organization is None
    endpoints = by_path(stack, "aws_vpc_endpoint")
    for network in ("training_network", "serving_network"):
        mine = {p: e for p, e in endpoints.items() if p.startswith(network + "/")}
        interface = {e["service_name"].split(f"com.amazonaws.{config.region}.")[1]: e
                     for e in mine.values() if e["vpc_endpoint_type"] == "Interface"}
        # the ECS agent trio for Batch on EC2; SSM for the serving targets' token-validator settings
        extra = {"ecs", "ecs-agent", "ecs-telemetry"} if network == "training_network" else {"ssm"}
        assert set(interface) == INTERFACE_SERVICES | extra
        gateway = [e for e in mine.values() if e["vpc_endpoint_type"] == "Gateway"]
        assert [g["service_name"] for g in gateway] == [f"com.amazonaws.{config.region}.s3"]
        vpc_cidr = target(stack, mine[next(iter(mine))]["vpc_id"])["cidr_block"]
        for service, endpoint in interface.items():
            assert endpoint["private_dns_enabled"] is True
            (sg_ref,) = endpoint["security_group_ids"]
            group = target(stack, sg_ref)
            assert [(r["from_port"], r["to_port"], r["protocol"], r["cidr_blocks"]) for r in group["ingress"]] == [
                (443, 443, "tcp", [vpc_cidr])], service
            assert group["egress"] == []
            for statement in statements(endpoint["policy"]):
                assert "*" not in as_list(statement["Action"])
                if not single_account:  # the organisation perimeter: tests/test_invariants_org_perimeter.py
                    continue
                assert statement["Condition"] == {"StringEquals": {"aws:PrincipalAccount": config.account_id}}
        if not single_account:
            continue
        s3_statements = statements(gateway[0]["policy"])
        platform = next(s for s in s3_statements if s["Sid"] == "PlatformBucketsOnly")
        assert set(platform["Resource"]) == {f"arn:aws:s3:::ztai-{env_name}-*", f"arn:aws:s3:::ztai-{env_name}-*/*"}
        # bucket names are global: the owner is bound as well as the caller
        assert platform["Condition"] == {"StringEquals": {"aws:PrincipalAccount": config.account_id,
                                                          "aws:ResourceAccount": config.account_id}}
        assert platform["Effect"] == "Allow" and platform["Principal"] == {"AWS": "*"}
        # the only other statement is the AWS-owned ECR layer bucket, read-only; with no principal condition, because
        # the layer download is a presigned URL signed by an ECR account, not the caller (a caller-account condition
        # would refuse every image pull)
        others = [s for s in s3_statements if s["Sid"] != "PlatformBucketsOnly"]
        assert [(s["Sid"], s["Action"], s["Resource"], s.get("Condition")) for s in others] == [
            ("EcrImageLayers", "s3:GetObject", f"arn:aws:s3:::prod-{config.region}-starport-layer-bucket/*", None)]


def test_default_security_group_emptied_and_nacls_set(synthesized: Synthesized, env_name: str) -> None:
    stack = synthesized.stack(env_name)
    defaults = resources(stack, "aws_default_security_group")
    assert len(defaults) == 2
    assert all(g["ingress"] == [] and g["egress"] == [] for g in defaults.values())
    assert len(resources(stack, "aws_default_network_acl")) == 2
    assert all("ingress" not in n and "egress" not in n for n in resources(stack, "aws_default_network_acl").values())
    nacls = by_path(stack, "aws_network_acl")
    subnets = by_path(stack, "aws_subnet")
    for network in ("training_network", "serving_network"):
        nacl = nacls[f"{network}/private_nacl"]
        associated = {ref(s)[1] for s in nacl["subnet_ids"]}  # type: ignore[index]
        expected = {k for k, v in resources(stack, "aws_subnet").items()
                    if path_of(v).split("/")[0] == network}
        assert associated == expected and len(expected) == len([p for p in subnets if p.startswith(network)])
        for rule in nacl["ingress"]:
            if rule["cidr_block"] == "0.0.0.0/0":
                # only ephemeral return ports: no admin port (22, 3389) reachable from outside
                assert rule["protocol"] == "6" and rule["from_port"] >= 32768, rule


def test_flow_logs_on_every_vpc_to_the_log_archive_and_cloudwatch(synthesized: Synthesized, env_name: str) -> None:
    stack = synthesized.stack(env_name)
    config = synthesized.environments[env_name].config
    flow_logs = list(resources(stack, "aws_flow_log").values())
    vpcs = resources(stack, "aws_vpc")
    for destination_type in ("s3", "cloud-watch-logs"):
        mine = [f for f in flow_logs if f["log_destination_type"] == destination_type]
        assert {ref(f["vpc_id"])[1] for f in mine} == set(vpcs), destination_type  # type: ignore[index]
        assert all(f["traffic_type"] == "ALL" for f in mine)
    for flow_log in flow_logs:
        if flow_log["log_destination_type"] == "s3":
            remote = delegated_archive(synthesized.environments[env_name])
            if remote is not None:  # the organization's archive (tests/test_invariants_delegated.py)
                assert flow_log["log_destination"] == f"arn:aws:s3:::{remote.archive_bucket_name}"
                continue
            archive = target(stack, flow_log["log_destination"])
            assert archive["//"]["metadata"]["path"].endswith("log_archive/archive/bucket")
            continue
        group = target(stack, flow_log["log_destination"])
        assert group["kms_key_id"] and group["retention_in_days"] == config.logging.retention_days
        role = target(stack, flow_log["iam_role_arn"])
        (trust,) = statements(role["assume_role_policy"])
        assert trust["Principal"] == {"Service": "vpc-flow-logs.amazonaws.com"}
        assert trust["Condition"]["ArnLike"]["aws:SourceArn"].endswith(":vpc-flow-log/*")
    archive_policy = by_path(stack, "aws_s3_bucket_policy")["log_archive/archive/policy"]
    delivery = [s for s in statements(archive_policy["policy"]) if s.get("Principal") ==
                {"Service": "delivery.logs.amazonaws.com"}]
    if delegated_archive(synthesized.environments[env_name]) is None:
        assert delivery, "the archive must accept flow-log delivery"
    else:  # delivered to the log-archive account, whose archive admits them (tests/test_delegated_both_sides.py);
        # the same service still delivers the Network Firewall's logs here where the egress path exists
        flow = [s for s in delivery if s.get("Sid", "").startswith("VpcFlowLogs")]
        assert not flow, "the local archive must not keep an unused flow-log delivery grant"


# The one rule open to the world where external model APIs are configured: HTTPS out of the egress workloads'
# group -- the destination is decided by name by Network Firewall (tests/test_invariants_egress.py), not by address.
EGRESS_WORKLOAD_RULE = {"protocol": "tcp", "from_port": 443, "to_port": 443, "cidr_blocks": ["0.0.0.0/0"]}


def test_no_security_group_rule_open_to_the_world(synthesized: Synthesized, env_name: str) -> None:
    stack = synthesized.stack(env_name)
    config = synthesized.environments[env_name].config
    external = config.serving.model_apis.external is not None and not config.is_emulated
    for type_name in ("aws_security_group", "aws_default_security_group"):
        for body in resources(stack, type_name).values():
            if external and path_of(body) == f"{EGRESS_PATH}workload_sg":
                assert body["ingress"] == []
                (rule,) = body["egress"]
                assert {k: rule.get(k) for k in EGRESS_WORKLOAD_RULE} == EGRESS_WORKLOAD_RULE
                assert not rule.get("ipv6_cidr_blocks")
                continue
            for rule in body.get("ingress", []) + body.get("egress", []):
                assert not OPEN & set(rule.get("cidr_blocks") or []), body["//"]["metadata"]["path"]
                assert not OPEN & set(rule.get("ipv6_cidr_blocks") or []), body["//"]["metadata"]["path"]
    for type_name in ("aws_security_group_rule", "aws_vpc_security_group_ingress_rule",
                      "aws_vpc_security_group_egress_rule"):
        for body in resources(stack, type_name).values():
            assert body.get("cidr_ipv4") not in OPEN and body.get("cidr_ipv6") not in OPEN
            assert not OPEN & set(body.get("cidr_blocks") or []) and not OPEN & set(body.get("ipv6_cidr_blocks") or [])


def test_workload_security_group_reaches_only_the_endpoints(synthesized: Synthesized, env_name: str) -> None:
    stack = synthesized.stack(env_name)
    groups = by_path(stack, "aws_security_group")
    for network in ("training_network", "serving_network"):
        workload = groups[f"{network}/workload_sg"]
        assert workload["ingress"] == []
        egress = workload["egress"]
        assert {(r["from_port"], r["to_port"], r["protocol"]) for r in egress} == {(443, 443, "tcp")}
        (to_endpoints,) = [r for r in egress if r.get("security_groups")]
        assert target(stack, to_endpoints["security_groups"][0]) is groups[f"{network}/endpoint_sg"]
        (to_s3,) = [r for r in egress if r.get("prefix_list_ids")]
        assert "aws_vpc_endpoint" in to_s3["prefix_list_ids"][0]
