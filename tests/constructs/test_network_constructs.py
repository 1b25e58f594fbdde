"""PrivateNetwork alone: no internet path, flow logs, endpoint policies; refusal of public, overlapping or
misfit address plans."""

from __future__ import annotations

from typing import Any

import pytest
from cdktf_cdktf_provider_aws.flow_log import FlowLog
from cdktf_cdktf_provider_aws.vpc_endpoint import VpcEndpoint
from construct_testing import ACCOUNT, REGION, new_stack, policy, resources, statements, synth
from constructs import Construct
from pydantic import ValidationError

from zero_trust_ai.platform_key import PlatformKey, PlatformKeyProps
from zero_trust_ai.private_network import PrivateNetwork, PrivateNetworkProps
from zero_trust_ai.secure_bucket import SecureBucket, SecureBucketProps
from zero_trust_ai.validation import InvalidInput

BASE: dict[str, Any] = {"name": "test-training", "cidr_block": "10.10.0.0/16",
                        "availability_zones": [f"{REGION}a", f"{REGION}b"], "subnet_prefix_length": 20,
                        "region": REGION, "account_id": ACCOUNT, "allowed_bucket_patterns": ["test-*"]}


def _network(scope: Construct, id: str = "network", **overrides: Any) -> PrivateNetwork:
    key = PlatformKey(scope, f"{id}_key", props=PlatformKeyProps(alias=f"alias/{id}", description="test logs key",
                                                                 account_id=ACCOUNT))
    archive = SecureBucket(scope, f"{id}_archive", props=SecureBucketProps(
        bucket_name=f"test-{id.replace('_', '-')}-archive", encryption_key=key, access_log_bucket=None,
        access_log_opt_out_reason="the archive is the access log target itself"))
    return PrivateNetwork(scope, id, props=PrivateNetworkProps(**{**BASE, **overrides}), flow_log_archive=archive,
                          logs_key=key)


@pytest.fixture(scope="module")
def network_stack() -> dict[str, Any]:
    return synth(_network)


def test_no_internet_path(network_stack: dict[str, Any]) -> None:
    kinds = set(network_stack["resource"])
    assert not kinds & {"aws_internet_gateway", "aws_nat_gateway", "aws_egress_only_internet_gateway", "aws_eip"}
    for subnet in resources(network_stack, "aws_subnet"):
        assert not subnet.get("map_public_ip_on_launch")
    for table in resources(network_stack, "aws_route_table") + resources(network_stack, "aws_default_route_table"):
        for route in table.get("route", []) or []:
            assert route.get("cidr_block") != "0.0.0.0/0"
    assert len(resources(network_stack, "aws_subnet")) == 2


def test_flow_logs_capture_all_traffic(network_stack: dict[str, Any]) -> None:
    logs = resources(network_stack, FlowLog.TF_RESOURCE_TYPE)
    assert logs and all(log["traffic_type"] == "ALL" for log in logs)
    assert {log["max_aggregation_interval"] for log in logs} == {60}


def test_every_endpoint_has_a_policy_bound_to_the_account(network_stack: dict[str, Any]) -> None:
    endpoints = resources(network_stack, VpcEndpoint.TF_RESOURCE_TYPE)
    assert len(endpoints) >= 8  # S3 gateway + the default interface endpoints
    for endpoint in endpoints:
        document = policy(endpoint)
        assert all(s.get("Action") != "*" for s in statements(document))
        text = str(document)
        assert ACCOUNT in text or "test-*" in text, endpoint["service_name"]


@pytest.mark.parametrize(("overrides", "fragment"), [
    ({"cidr_block": "8.8.0.0/16"}, "is not a private (RFC 1918) range"),
    ({"cidr_block": "10.0.0.0/12"}, "has prefix /12"),
    ({"cidr_block": "10.10.0.1/16"}, "is not a valid IPv4 CIDR"),
    ({"cidr_block": "fd00::/48"}, "is IPv6"),
    ({"availability_zones": ["us-east-1a", "us-east-1b"]}, "is not in region"),
    ({"availability_zones": [f"{REGION}a", f"{REGION}a"]}, "listed twice"),
    ({"subnet_prefix_length": 16}, "does not fit inside cidr_block"),
    ({"cidr_block": "10.10.0.0/24", "subnet_prefix_length": 25,
      "availability_zones": [f"{REGION}a", f"{REGION}b", f"{REGION}c"]}, "need one each"),
    ({"log_retention_days": 366}, "not a CloudWatch retention"),
    ({"flow_log_aggregation_seconds": 120}, "flow_log_aggregation_seconds"),
    ({"organization_id": "org-123"}, "is not an AWS Organizations id"),
])
def test_props_refuse_bad_address_plans(overrides: dict[str, Any], fragment: str) -> None:
    with pytest.raises(ValidationError) as error:
        PrivateNetworkProps(**{**BASE, **overrides})
    assert fragment in str(error.value)
    assert "Fix:" in str(error.value)


def test_a_second_network_of_the_stack_must_not_overlap() -> None:
    stack = new_stack()
    _network(stack, "training")
    _network(stack, "serving", name="test-serving", cidr_block="10.20.0.0/16")  # disjoint: fine
    with pytest.raises(InvalidInput, match="overlaps the cidr_block of") as error:
        _network(stack, "other", name="test-other", cidr_block="10.10.128.0/17")
    assert "'10.10.128.0/17'" in str(error.value) and "'10.10.0.0/16'" in str(error.value)


def test_networks_of_different_stacks_are_independent() -> None:
    _network(new_stack(), "training")
    _network(new_stack(), "training")  # same CIDR, another stack: no error


def test_a_member_accounts_endpoints_bind_the_organisation() -> None:
    """Tested alone: with ``organization_id`` every endpoint names the organisation for caller and resource (the
    actions naming no resource: the caller only), and none keeps the single-account statement."""
    stack = synth(lambda scope: _network(scope, organization_id="o-a1b2c3d4e5"))
    for endpoint in resources(stack, VpcEndpoint.TF_RESOURCE_TYPE):
        sids = {s["Sid"]: s for s in statements(policy(endpoint))}
        assert "ThisAccountOnly" not in sids and "PlatformBucketsOnly" not in sids
        bound = [s for s in sids.values() if "StringEquals" in s.get("Condition", {})]
        assert bound and all(s["Condition"]["StringEquals"]["aws:PrincipalOrgID"] == "o-a1b2c3d4e5" for s in bound)
        for sid in ("OrgPrincipalsToOrgResources", "OrgPrincipalsToOrgBuckets"):
            if sid in sids:
                assert sids[sid]["Condition"]["StringEquals"]["aws:ResourceOrgID"] == "o-a1b2c3d4e5"
