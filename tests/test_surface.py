"""Attack-surface map: generated from the synthesized JSON, committed, and drift-checked."""

from __future__ import annotations

import copy
import json
from pathlib import Path

import pytest

from blueprint.docs import surface
from tests.conftest import ENVIRONMENTS, Synthesized


@pytest.fixture(scope="module")
def generated(synthesized: Synthesized, tmp_path_factory: pytest.TempPathFactory) -> Path:
    docs = tmp_path_factory.mktemp("surface")
    surface.generate(synthesized.outdir, docs)
    return docs


@pytest.mark.parametrize("env", ENVIRONMENTS)
def test_committed_map_matches_the_code(generated: Path, env: str) -> None:
    for suffix in (".md", ".svg", ".png", "-overview.svg", "-overview.png"):
        committed = surface.DOCS / f"{env}{suffix}"
        assert committed.exists(), f"missing {committed}; run: python -m blueprint.docs.surface"
        assert committed.read_bytes() == (generated / f"{env}{suffix}").read_bytes(), (
            f"{committed.name} is stale: the platform changed; run `python -m blueprint.docs.surface` and commit")


def test_the_pictures_are_deterministic(synthesized: Synthesized, tmp_path: Path) -> None:
    from blueprint.docs import picture

    surface_map = surface.build("prod", synthesized.stack("prod"))
    (tmp_path / "a").mkdir()
    (tmp_path / "b").mkdir()
    first = [p.read_bytes() for p in picture.write(surface_map, tmp_path / "a")]
    assert first == [p.read_bytes() for p in picture.write(surface_map, tmp_path / "b")]


def test_the_overview_is_the_seed_components_in_their_trust_zones(synthesized: Synthesized, env_name: str) -> None:
    from blueprint.docs import picture

    surface_map = surface.build(env_name, synthesized.stack(env_name))
    zones = picture.zones(surface_map)
    assert set(zones.values()) == {"outside", "training", "serving", "aws", "lake", "keys", "logging"}
    assert zones["vpc:training_network"] == "training" and zones["vpc:serving_network"] == "serving"
    assert zones["role:identities/data_engineer"] == "outside" and zones["key:manifest_signing"] == "keys"
    assert zones["bucket:raw"] == "lake" and zones["bucket:archive"] == "logging"
    view = picture.overview(surface_map)
    assert len(view.boxes) <= 25, sorted(view.boxes)
    labels = {box.label for box in view.boxes.values()}
    assert {"data engineer", "raw data", "features", "training cluster", "model registry", "serving endpoint",
            "inference fleet", "callers", "monitoring"} <= labels
    assert ("model APIs (Bedrock)" in labels) == ("service:bedrock.amazonaws.com" in surface_map.nodes)
    ranks = picture._ranks(view)
    flow = ["role:identities/data_engineer", "bucket:raw", "training:cluster", "bucket:models", "serving:fleet",
            "callers"]
    assert [ranks[box] for box in flow] == sorted(ranks[box] for box in flow), "the ML flow reads left to right"
    assert ranks["bucket:raw"] < ranks["training:cluster"] < ranks["bucket:models"] < ranks["callers"]
    denies = {(a.source, a.target) for a in view.arrows if a.deny}
    assert ("role:identities/model_trainer", "bucket:validation") in denies
    assert ("training:cluster", "bucket:validation") in denies
    markdown = surface.render_markdown(surface_map)
    mermaid = markdown.split("```mermaid\n", 1)[1].split("```", 1)[0]
    assert mermaid.startswith("flowchart LR\n") and mermaid.count("subgraph ") >= 7
    assert '-.-x|"DENY validation data"|' in mermaid
    assert "## Components" in markdown and "## Who talks to whom" in markdown


def test_nothing_is_reachable_from_outside(synthesized: Synthesized, env_name: str) -> None:
    surface_map = surface.build(env_name, synthesized.stack(env_name))
    assert surface_map.exposures == []


def test_map_contains_the_real_components_and_flows(synthesized: Synthesized, env_name: str) -> None:
    m = surface.build(env_name, synthesized.stack(env_name))
    for node in ("vpc:training_network", "vpc:serving_network", "bucket:validation", "key:manifest_signing",
                 "role:identities/model_trainer", "aws:s3-gateway"):
        assert node in m.nodes, node
    denies = {(e.source, e.target) for e in m.edges if e.effect == "deny"}
    assert ("role:identities/model_trainer", "bucket:validation") in denies
    assert ("role:training_job_role", "bucket:validation") in denies
    trust = [e for e in m.edges if e.target == "role:identities/model_trainer" and e.access.startswith("assume role")]
    # people arrive only through the identity provider; no AWS principal is a way in
    assert trust and all(e.access == "assume role (SAML)" and "IdP MFA session tag" in e.control
                         and e.source.startswith("principal:arn:aws:iam::") and ":saml-provider/" in e.source
                         for e in trust)
    reads = {e.target for e in m.edges if e.source == "role:identities/model_trainer" and e.effect == "allow"
             and e.access.startswith("read")}
    assert reads == {"bucket:features", "bucket:training"}


def test_an_open_security_group_is_reported(synthesized: Synthesized) -> None:
    stack = copy.deepcopy(synthesized.stack("dev"))
    group = next(g for g in stack["resource"]["aws_security_group"].values() if "ingress" in g)
    group["ingress"] = [*group["ingress"], {"from_port": 22, "to_port": 22, "protocol": "tcp",
                                            "cidr_blocks": ["0.0.0.0/0"]}]
    # the same through a standalone rule resource (how the serving ALB's group gets its clients)
    (alb_rule,) = [r for r in stack["resource"]["aws_security_group_rule"].values() if r.get("cidr_blocks")]
    alb_rule["cidr_blocks"] = ["0.0.0.0/0"]
    stack["resource"]["aws_internet_gateway"] = {"igw_1": {"vpc_id": "vpc-1"}}
    exposures = surface.build("dev", stack).exposures
    assert any("admits the internet on port 22" in e for e in exposures)
    assert any("serving_load_balancer/security_group admits the internet on port 443" in e for e in exposures)
    assert any("aws_internet_gateway" in e for e in exposures)


def test_each_allowed_domain_is_an_edge_to_the_outside_from_the_allowed_workloads_only(
        synthesized: Synthesized, env_name: str) -> None:
    config = synthesized.environments[env_name].config
    external = config.serving.model_apis.external
    m = surface.build(env_name, synthesized.stack(env_name))
    edges = {(e.source, e.target) for e in m.edges if e.target.startswith("api:")}
    if external is None or config.is_emulated:
        assert edges == set() and not [n for n in m.nodes if n.startswith("api:")]
        return
    fleet = f"compute:ztai-{env_name}-inference"
    expected = {fleet} if "inference_fleet" in external.workloads else set()
    assert edges == {(source, f"api:{d}") for source in expected for d in external.allowed_domains}
    assert all(m.nodes[f"api:{d}"].column == "external" for d in external.allowed_domains)
    assert m.exposures == []  # the egress path is outbound only


def test_an_egress_path_that_bypasses_the_firewall_is_reported(synthesized: Synthesized) -> None:
    """The sanctioned gateways stop being sanctioned as soon as a path skips the inspection."""
    stack = copy.deepcopy(synthesized.stack("staging"))
    routes = stack["resource"]["aws_route"]
    # the egress workloads' default route straight to the NAT gateway, past the firewall
    workload = next(r for r in routes.values() if "vpc_endpoint_id" in r and r["destination_cidr_block"] ==
                    "0.0.0.0/0")
    nat = next(r["nat_gateway_id"] for r in routes.values() if "nat_gateway_id" in r)
    workload.pop("vpc_endpoint_id")
    workload["nat_gateway_id"] = nat
    exposures = surface.build("staging", stack).exposures
    assert any("aws_nat_gateway" in e for e in exposures), exposures
    # a private subnet's table routing to the internet gateway
    stack = copy.deepcopy(synthesized.stack("staging"))
    igw = next(iter(stack["resource"]["aws_internet_gateway"]))
    private = next(k for k, t in stack["resource"]["aws_route_table"].items() if "private_routes" in k)
    stack["resource"]["aws_route"]["rogue"] = {"route_table_id": f"${{aws_route_table.{private}.id}}",
                                               "destination_cidr_block": "0.0.0.0/0",
                                               "gateway_id": f"${{aws_internet_gateway.{igw}.id}}"}
    assert any("aws_internet_gateway" in e for e in surface.build("staging", stack).exposures)
    # a firewall that passes everything by default no longer sanctions anything
    stack = copy.deepcopy(synthesized.stack("staging"))
    (policy,) = stack["resource"]["aws_networkfirewall_firewall_policy"].values()
    policy["firewall_policy"]["stateful_default_actions"] = ["aws:alert_established"]
    exposures = surface.build("staging", stack).exposures
    assert {e.split()[0] for e in exposures} == {"aws_internet_gateway", "aws_nat_gateway", "aws_eip"}


@pytest.mark.parametrize("env", ENVIRONMENTS)
def test_committed_coverage_matrix_matches_the_code(synthesized: Synthesized, tmp_path: Path, env: str) -> None:
    from blueprint.docs import traceability

    traceability.generate(synthesized.outdir, tmp_path)
    committed = traceability.DOCS / f"{env}.md"
    assert committed.read_text(encoding="utf-8") == (tmp_path / f"{env}.md").read_text(encoding="utf-8"), (
        "coverage matrix is stale: run `python -m blueprint.docs.traceability`")


def test_every_construct_declares_known_controls_and_gaps_are_visible(synthesized: Synthesized) -> None:
    from blueprint.docs import traceability
    from zero_trust_ai.controls import BY_ID

    text = (traceability.DOCS / "prod.md").read_text(encoding="utf-8")
    # every control of the catalogue is implemented by a construct (or tooling) and tested in prod
    assert "ZT-SRV-1" in text and "ZT-LOG-2" in text and "**GAP**" not in text
    for line in text.splitlines():
        if line.startswith("| ZT-"):
            control = BY_ID[line.split()[1]]
            assert line.rstrip().endswith("covered |") or (
                control.opt_in and line.rstrip().endswith("off here (opt-in feature not configured) |")), line
    # a feature's control off in prod is covered where the feature is configured (staging turns on every feature)
    staging = (traceability.DOCS / "staging.md").read_text(encoding="utf-8")
    assert "**GAP**" not in staging
    for line in staging.splitlines():
        if line.startswith("| ZT-"):
            assert line.rstrip().endswith("covered |"), line
    # and a control nobody implements would show up as a GAP, not vanish
    from blueprint.docs.traceability import render
    from zero_trust_ai.controls import CATALOGUE, Control

    phantom = Control("ZT-XXX-9", 5, "a control no construct implements", (1,), ("Data",), (), ())
    index = json.loads((synthesized.outdir / "stacks" / "prod" / "constructs.json").read_text(encoding="utf-8"))
    assert "**GAP**" in render("prod", index, (*CATALOGUE, phantom))
    assert set(BY_ID) == {line.split()[1] for line in text.splitlines() if line.startswith("| ZT-")}
