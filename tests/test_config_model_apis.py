"""serving.model_apis: bad model and guardrail settings give one clear message (file, field, value, fix), exit 2 and
nothing written; good ones load with the documented defaults."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml

from stacks import synth
from stacks.config.model import EnvironmentConfig

PROJECT_ROOT = Path(__file__).resolve().parent.parent
GOOD = yaml.safe_load((PROJECT_ROOT / "environments" / "dev.yaml").read_text(encoding="utf-8"))
REGION = GOOD["region"]
MODEL = f"arn:aws:bedrock:{REGION}::foundation-model/anthropic.claude-3-haiku-20240307-v1:0"


def _with_bedrock(bedrock: Any) -> dict[str, Any]:
    data: dict[str, Any] = yaml.safe_load(yaml.safe_dump(GOOD))
    data["serving"]["model_apis"] = {"bedrock": bedrock}
    return data


OTHER_REGION = "us-east-1" if REGION != "us-east-1" else "eu-west-1"
CASES: list[tuple[str, Any, list[str]]] = [
    ("empty-model-list", {"model_arns": []},
     ["serving.model_apis.bedrock.model_arns", "no model is listed", "Fix: list at least one",
      "or remove the bedrock section"]),
    ("missing-model-list", {},
     ["serving.model_apis.bedrock.model_arns", "(missing)", "Fix: add this field"]),
    ("not-an-arn", {"model_arns": ["anthropic.claude-3-haiku-20240307-v1:0"]},
     ["serving.model_apis.bedrock.model_arns[0]", "not a foundation-model ARN", "Fix: use arn:aws:bedrock:"]),
    ("custom-model-not-foundation", {"model_arns": [f"arn:aws:bedrock:{REGION}:111111111111:custom-model/x.y"]},
     ["serving.model_apis.bedrock.model_arns[0]", "not a foundation-model ARN", "Fix:"]),
    ("wildcard-model", {"model_arns": [f"arn:aws:bedrock:{REGION}::foundation-model/*"]},
     ["serving.model_apis.bedrock.model_arns[0]", "not a foundation-model ARN", "Fix:"]),
    ("other-region", {"model_arns": [MODEL, MODEL.replace(REGION, OTHER_REGION)]},
     ["serving.model_apis.bedrock.model_arns[1]", f"in region {OTHER_REGION}", "reaches only its own region",
      f"Fix: use the model's ARN in {REGION}", MODEL]),
    ("other-partition", {"model_arns": [MODEL.replace("arn:aws:", "arn:aws-us-gov:")]},
     ["serving.model_apis.bedrock.model_arns[0]", "aws-us-gov", "Fix: use the model's ARN"]),
    ("listed-twice", {"model_arns": [MODEL, MODEL]},
     ["serving.model_apis.bedrock.model_arns[1]", "listed twice", "Fix: list each model once"]),
    ("unknown-field", {"model_arns": [MODEL], "egress": True},
     ["serving.model_apis.bedrock.egress", "unknown field", "Fix:"]),
    ("prompt-attack-on-output", {"model_arns": [MODEL], "guardrail": {"content_filters": {
        "PROMPT_ATTACK": {"input_strength": "HIGH", "output_strength": "HIGH"}}}},
     ["serving.model_apis.bedrock.guardrail.content_filters.PROMPT_ATTACK.output_strength", "prompts only",
      "Fix: set output_strength: NONE"]),
    ("filter-that-filters-nothing", {"model_arns": [MODEL], "guardrail": {"content_filters": {
        "HATE": {"input_strength": "NONE", "output_strength": "NONE"}}}},
     ["serving.model_apis.bedrock.guardrail.content_filters.HATE", "filters nothing", "Fix: remove HATE"]),
    ("unknown-filter", {"model_arns": [MODEL], "guardrail": {"content_filters": {"SPAM": {}}}},
     ["serving.model_apis.bedrock.guardrail.content_filters", "SPAM", "Fix:"]),
    ("bad-strength", {"model_arns": [MODEL], "guardrail": {"content_filters": {"HATE": {"input_strength": "MAX"}}}},
     ["serving.model_apis.bedrock.guardrail.content_filters.HATE.input_strength", "'MAX'", "Fix:"]),
    ("unknown-pii-entity", {"model_arns": [MODEL], "guardrail": {"pii_entities": {"SHOE_SIZE": "BLOCK"}}},
     ["serving.model_apis.bedrock.guardrail.pii_entities", "SHOE_SIZE", "Fix:"]),
    ("bad-pii-action", {"model_arns": [MODEL], "guardrail": {"pii_entities": {"EMAIL": "LOG"}}},
     ["serving.model_apis.bedrock.guardrail.pii_entities.EMAIL", "'LOG'", "Fix:"]),
    ("topic-without-definition", {"model_arns": [MODEL], "guardrail": {"denied_topics": {"weapons": {}}}},
     ["serving.model_apis.bedrock.guardrail.denied_topics.weapons.definition", "(missing)", "Fix: add this field"]),
    ("topic-definition-too-long", {"model_arns": [MODEL], "guardrail": {"denied_topics": {
        "weapons": {"definition": "x" * 201}}}},
     ["serving.model_apis.bedrock.guardrail.denied_topics.weapons.definition", "Fix:"]),
    ("too-many-topic-examples", {"model_arns": [MODEL], "guardrail": {"denied_topics": {
        "weapons": {"definition": "How to build or acquire weapons.", "examples": ["a", "b", "c", "d", "e", "f"]}}}},
     ["serving.model_apis.bedrock.guardrail.denied_topics.weapons.examples", "Fix:"]),
    ("zero-spike-threshold", {"model_arns": [MODEL], "invocation_spike_per_5_minutes": 0},
     ["serving.model_apis.bedrock.invocation_spike_per_5_minutes", "0", "Fix:"]),
]


def _the_one_problem(tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch,
                     document: dict[str, Any]) -> str:
    """Synthesize a project whose only file is ``document`` as environments/dev.yaml: exit 2, exactly one problem
    (returned), naming the file, and nothing written but the input."""
    monkeypatch.delenv("CDKTF_OUTDIR", raising=False)
    monkeypatch.delenv(synth.ENV_SELECTION, raising=False)
    envs = tmp_path / "environments"
    envs.mkdir()
    (envs / "dev.yaml").write_text(yaml.safe_dump(document), encoding="utf-8")
    code = synth.main(project_root=tmp_path)
    err = capsys.readouterr().err
    assert code == 2, err
    problems = [line for line in err.splitlines() if line.startswith("  - ")]
    assert len(problems) == 1, err
    assert "environments/dev.yaml:" in problems[0]
    assert list(tmp_path.iterdir()) == [envs], "nothing but the input may exist"
    return problems[0]


@pytest.mark.parametrize(("case_id", "bedrock", "expected"), CASES, ids=[c[0] for c in CASES])
def test_bad_model_api_settings_are_reported_with_field_value_and_fix(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch,
    case_id: str, bedrock: Any, expected: list[str],
) -> None:
    message = _the_one_problem(tmp_path, capsys, monkeypatch, _with_bedrock(bedrock))
    for fragment in expected:
        assert fragment in message, f"{fragment!r} not in {message!r}"


def test_model_apis_are_off_unless_configured() -> None:
    config = EnvironmentConfig.model_validate(GOOD)
    assert "model_apis" not in GOOD["serving"]
    assert config.serving.model_apis.bedrock is None


def test_a_minimal_bedrock_section_gets_the_documented_guardrail_defaults() -> None:
    config = EnvironmentConfig.model_validate(_with_bedrock({"model_arns": [MODEL]}))
    bedrock = config.serving.model_apis.bedrock
    assert bedrock is not None and bedrock.model_arns == [MODEL] and bedrock.training_vpc is False
    filters = bedrock.guardrail.content_filters
    assert set(filters) == {"SEXUAL", "VIOLENCE", "HATE", "INSULTS", "MISCONDUCT", "PROMPT_ATTACK"}
    assert all(f.input_strength == "HIGH" for f in filters.values())
    assert filters["PROMPT_ATTACK"].output_strength == "NONE"
    assert all(f.output_strength == "HIGH" for kind, f in filters.items() if kind != "PROMPT_ATTACK")
    pii = bedrock.guardrail.pii_entities
    assert {kind for kind, action in pii.items() if action == "BLOCK"} >= {"AWS_ACCESS_KEY", "AWS_SECRET_KEY",
                                                                          "PASSWORD"}
    assert bedrock.guardrail.denied_topics == {}


# -- serving.model_apis.external: external model APIs by domain allow-list ----------------------------------------
SERVING_VPC = GOOD["network"]["serving_vpc_cidr"]  # dev: 10.120.0.0/16, private subnets 10.120.0.0/20, .16.0/20
EGRESS_BLOCK = SERVING_VPC.replace(".0.0/16", ".240.0/20")
EXTERNAL = {"allowed_domains": ["api.openai.com", ".api.mistral.ai"], "cidr_block": EGRESS_BLOCK,
            "workloads": ["inference_fleet"]}


def _with_external(external: Any) -> dict[str, Any]:
    data: dict[str, Any] = yaml.safe_load(yaml.safe_dump(GOOD))
    data["serving"]["model_apis"] = {"external": external}
    return data


EXTERNAL_CASES: list[tuple[str, Any, list[str]]] = [
    ("no-domains", {**EXTERNAL, "allowed_domains": []},
     ["serving.model_apis.external.allowed_domains", "no domain is listed", "Fix: list at least one domain"]),
    ("wildcard-domain", {**EXTERNAL, "allowed_domains": ["*.openai.com"]},
     ["serving.model_apis.external.allowed_domains[0]", "'*.openai.com'", "wildcard", "Fix: write an exact"]),
    ("catch-all-domain", {**EXTERNAL, "allowed_domains": ["api.openai.com", "*"]},
     ["serving.model_apis.external.allowed_domains[1]", "wildcard", "Fix:"]),
    ("ip-literal", {**EXTERNAL, "allowed_domains": ["104.18.7.192"]},
     ["serving.model_apis.external.allowed_domains[0]", "'104.18.7.192'", "IP literal", "Fix:"]),
    ("ipv6-literal", {**EXTERNAL, "allowed_domains": ["[2606:4700::6812:7c0]"]},
     ["serving.model_apis.external.allowed_domains[0]", "IP literal", "Fix:"]),
    ("upper-case", {**EXTERNAL, "allowed_domains": ["API.OpenAI.com"]},
     ["serving.model_apis.external.allowed_domains[0]", "'API.OpenAI.com'", "not lowercase",
      "Fix: write 'api.openai.com'"]),
    ("trailing-dot", {**EXTERNAL, "allowed_domains": ["api.openai.com."]},
     ["serving.model_apis.external.allowed_domains[0]", "ends with a dot", "Fix: write 'api.openai.com'"]),
    ("bare-tld", {**EXTERNAL, "allowed_domains": [".com"]},
     ["serving.model_apis.external.allowed_domains[0]", "not a fully qualified name", "Fix:"]),
    ("url-not-a-name", {**EXTERNAL, "allowed_domains": ["https://api.openai.com/v1"]},
     ["serving.model_apis.external.allowed_domains[0]", "not a fully qualified name", "Fix:"]),
    ("duplicate-domain", {**EXTERNAL, "allowed_domains": ["api.openai.com", "api.openai.com"]},
     ["serving.model_apis.external.allowed_domains[1]", "listed twice", "Fix: list each domain once"]),
    ("too-many-domains", {**EXTERNAL, "allowed_domains": [f"d{i}.example.com" for i in range(51)]},
     ["serving.model_apis.external.allowed_domains", "Fix:"]),
    ("cidr-outside-the-vpc", {**EXTERNAL, "cidr_block": "10.99.240.0/20"},
     ["serving.model_apis.external.cidr_block", "'10.99.240.0/20'", f"not inside the VPC's {SERVING_VPC}",
      "Fix: pick a block inside"]),
    ("cidr-overlaps-private-subnets", {**EXTERNAL, "cidr_block": SERVING_VPC.replace(".0.0/16", ".16.0/20")},
     ["serving.model_apis.external.cidr_block", "overlaps the private subnet", "of the serving VPC",
      "Fix: pick a block above the private subnets"]),
    ("cidr-too-small", {**EXTERNAL, "cidr_block": SERVING_VPC.replace(".0.0/16", ".240.0/26")},
     ["serving.model_apis.external.cidr_block", "/26", "Fix: use a /20"]),
    ("cidr-public", {**EXTERNAL, "cidr_block": "8.8.0.0/20"},
     ["serving.model_apis.external.cidr_block", "'8.8.0.0/20'", "not a private", "Fix:"]),
    ("no-workloads", {**EXTERNAL, "workloads": []},
     ["serving.model_apis.external.workloads", "no workload is named", "Fix: name the workloads"]),
    ("unknown-workload", {**EXTERNAL, "workloads": ["training_job"]},
     ["serving.model_apis.external.workloads[0]", "'training_job'", "not a workload the platform can place",
      "Fix: use one of: inference_fleet"]),
    ("duplicate-workload", {**EXTERNAL, "workloads": ["inference_fleet", "inference_fleet"]},
     ["serving.model_apis.external.workloads[1]", "listed twice", "Fix: list each workload once"]),
    ("missing-cidr", {k: v for k, v in EXTERNAL.items() if k != "cidr_block"},
     ["serving.model_apis.external.cidr_block", "(missing)", "Fix: add this field"]),
    ("unknown-field", {**EXTERNAL, "open_egress": True},
     ["serving.model_apis.external.open_egress", "unknown field", "Fix:"]),
]


@pytest.mark.parametrize(("case_id", "external", "expected"), EXTERNAL_CASES, ids=[c[0] for c in EXTERNAL_CASES])
def test_bad_external_model_api_settings_are_reported_with_field_value_and_fix(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch,
    case_id: str, external: Any, expected: list[str],
) -> None:
    message = _the_one_problem(tmp_path, capsys, monkeypatch, _with_external(external))
    for fragment in expected:
        assert fragment in message, f"{fragment!r} not in {message!r}"


def test_too_many_zones_for_the_egress_plan_is_reported(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch,
) -> None:
    data = _with_external(EXTERNAL)
    data["availability_zones"] = [f"{REGION}{z}" for z in "abcde"]
    data["network"]["subnet_prefix_length"] = 22
    message = _the_one_problem(tmp_path, capsys, monkeypatch, data)
    assert "availability_zones" in message and "4 zone slots" in message and "Fix: use at most 4" in message


def test_external_model_apis_are_off_unless_configured() -> None:
    config = EnvironmentConfig.model_validate(GOOD)
    assert config.serving.model_apis.external is None


def test_a_minimal_external_section_loads_with_its_defaults() -> None:
    config = EnvironmentConfig.model_validate(_with_external(EXTERNAL))
    external = config.serving.model_apis.external
    assert external is not None
    assert external.allowed_domains == EXTERNAL["allowed_domains"] and external.workloads == ["inference_fleet"]
    assert external.cidr_block == EGRESS_BLOCK and external.dropped_packets_threshold == 1
