"""Model APIs without egress (docs/controls.md, "Model APIs"; issue 19 A), on every environment's synthesized JSON.

Where ``serving.model_apis.bedrock`` is configured: a bedrock-runtime interface endpoint whose policy allows only the
configured models for the granted roles; the serving role invokes only those models, only with the guardrail's
ARN:version named, only through its endpoint; invocations logged to the archive and an encrypted log group; alarms
to the alert topic. Where it is off: nothing of it exists and no policy grants a Bedrock action.
"""

from __future__ import annotations

import json
import re
from typing import Any

import pytest

from stacks.config import emulator_gaps
from stacks.config.model import LoadedEnvironment
from tests.conftest import Synthesized
from tests.tfjson import as_list, by_path, logical_id, resources, statements

INVOKE = {"bedrock:InvokeModel", "bedrock:InvokeModelWithResponseStream"}


def _bedrock(synthesized: Synthesized, env_name: str) -> Any:
    return synthesized.environments[env_name].config.serving.model_apis.bedrock


def _ref(stack: dict[str, Any], type_name: str, path: str, attr: str) -> str:
    return f"${{{type_name}.{logical_id(stack, type_name, path)}.{attr}}}"


def _all_policy_statements(stack: dict[str, Any]) -> list[dict[str, Any]]:
    found: list[dict[str, Any]] = []
    for type_name, field in (("aws_iam_role_policy", "policy"), ("aws_iam_policy", "policy"),
                             ("aws_vpc_endpoint", "policy"), ("aws_s3_bucket_policy", "policy"),
                             ("aws_kms_key", "policy")):
        for body in resources(stack, type_name).values():
            if isinstance(body.get(field), str) and body[field].startswith("{"):
                found += statements(body[field])
    return found


def _mentions_bedrock(statement: dict[str, Any]) -> bool:
    return any(str(a).lower().startswith("bedrock:") or a == "*" for a in as_list(statement.get("Action")))


def test_the_environments_show_both_states(loaded_environments: dict[str, LoadedEnvironment]) -> None:
    states = {name: env.config.serving.model_apis.bedrock is not None for name, env in loaded_environments.items()}
    assert any(states.values()) and not all(states.values()), states


def test_model_apis_absent_where_off(synthesized: Synthesized, env_name: str) -> None:
    if _bedrock(synthesized, env_name) is not None:
        pytest.skip("model APIs configured here (see the other tests)")
    stack = synthesized.stack(env_name)
    assert not [t for t in stack.get("resource", {}) if t.startswith("aws_bedrock")]
    assert not [e for e in resources(stack, "aws_vpc_endpoint").values() if "bedrock" in e["service_name"]]
    allows = [s for s in _all_policy_statements(stack) if s["Effect"] == "Allow" and _mentions_bedrock(s)]
    assert allows == []
    assert "model_guardrail_identifier" not in stack.get("output", {})
    assert emulator_gaps.BEDROCK_GUARDRAIL.control not in stack["output"]["emulator_capability_gaps"]["value"]


@pytest.fixture
def enabled(synthesized: Synthesized, env_name: str) -> tuple[dict[str, Any], Any]:
    bedrock = _bedrock(synthesized, env_name)
    if bedrock is None:
        pytest.skip("model APIs off here (see test_model_apis_absent_where_off)")
    return synthesized.stack(env_name), bedrock


def _guardrail_identifier(stack: dict[str, Any]) -> str:
    guardrail = _ref(stack, "aws_bedrock_guardrail", "model_gateway/guardrail", "guardrail_arn")
    version = _ref(stack, "aws_bedrock_guardrail_version", "model_gateway/guardrail_version", "version")
    return f"{guardrail}:{version}"


def test_endpoint_policy_allows_only_configured_models_for_granted_roles(enabled: tuple[dict[str, Any], Any],
                                                                        synthesized: Synthesized,
                                                                        env_name: str) -> None:
    stack, bedrock = enabled
    region, = {arn.split(":")[3] for arn in bedrock.model_arns}
    endpoints = {e["vpc_id"]: e for e in resources(stack, "aws_vpc_endpoint").values()
                 if e["service_name"] == f"com.amazonaws.{region}.bedrock-runtime"}
    expected = {"serving_network": ["inference_role/role"]}
    if bedrock.training_vpc:
        expected["training_network"] = ["training_job_role/role", "training_compute/job_role/role"]
    assert set(endpoints) == {_ref(stack, "aws_vpc", f"{n}/vpc", "id") for n in expected}
    for network, roles in expected.items():
        endpoint = endpoints[_ref(stack, "aws_vpc", f"{network}/vpc", "id")]
        assert endpoint["vpc_endpoint_type"] == "Interface" and endpoint["private_dns_enabled"] is True
        assert endpoint["security_group_ids"] == [_ref(stack, "aws_security_group", f"{network}/endpoint_sg", "id")]
        by_sid = {s["Sid"]: s for s in statements(endpoint["policy"])}
        guarded = synthesized.environments[env_name].config.emulator is None  # the emulator has no guardrail
        assert set(by_sid) == ({"GrantedRolesInvokeConfiguredModels", "GrantedRolesApplyTheGuardrail"} if guarded
                               else {"GrantedRolesInvokeConfiguredModels"})
        if guarded:  # a guarded invocation is also authorized for ApplyGuardrail: that guardrail, the same roles
            apply = by_sid["GrantedRolesApplyTheGuardrail"]
            assert apply["Effect"] == "Allow" and as_list(apply["Action"]) == ["bedrock:ApplyGuardrail"]
            assert as_list(apply["Resource"]) == [_ref(stack, "aws_bedrock_guardrail", "model_gateway/guardrail",
                                                       "guardrail_arn")]
            assert apply["Condition"] == by_sid["GrantedRolesInvokeConfiguredModels"]["Condition"]
        statement = by_sid["GrantedRolesInvokeConfiguredModels"]
        assert statement["Effect"] == "Allow"
        assert set(as_list(statement["Action"])) == INVOKE
        assert sorted(as_list(statement["Resource"])) == sorted(bedrock.model_arns)
        condition = statement["Condition"]
        assert sorted(as_list(condition["ArnEquals"]["aws:PrincipalArn"])) == sorted(
            _ref(stack, "aws_iam_role", r, "arn") for r in roles)
        account = synthesized.environments[env_name].config.account_id
        assert condition == {"StringEquals": {"aws:PrincipalAccount": account}, "ArnEquals": condition["ArnEquals"]}


def test_serving_role_invokes_only_configured_models_with_the_guardrail(enabled: tuple[dict[str, Any], Any],
                                                                        synthesized: Synthesized,
                                                                        env_name: str) -> None:
    stack, bedrock = enabled
    policies = by_path(stack, "aws_iam_role_policy")
    inference = {s["Sid"]: s for s in statements(policies["inference_role/policy"]["policy"])}
    cloud = synthesized.environments[env_name].config.emulator is None
    identifier = _guardrail_identifier(stack) if cloud else None
    allows = [s for s in inference.values() if s["Effect"] == "Allow" and _mentions_bedrock(s)]
    invoke = [s for s in allows if set(as_list(s["Action"])) & INVOKE]
    (grant,) = invoke
    assert set(as_list(grant["Action"])) == INVOKE
    assert sorted(as_list(grant["Resource"])) == sorted(bedrock.model_arns)
    if cloud:
        assert grant["Condition"] == {"StringEquals": {"bedrock:GuardrailIdentifier": identifier}}
        assert re.fullmatch(r"\$\{aws_bedrock_guardrail\.\w+\.guardrail_arn\}:\$\{aws_bedrock_guardrail_version\."
                            r"\w+\.version\}", str(identifier))
    # an explicit Deny for any other or a missing guardrail identifier (negated operator: absent key matches)
    denies = [s for s in inference.values() if s["Effect"] == "Deny" and set(as_list(s["Action"])) >= INVOKE]
    guard = [s for s in denies if "bedrock:GuardrailIdentifier" in json.dumps(s.get("Condition", {}))]
    (guard_deny,) = guard
    assert as_list(guard_deny["Resource"]) == ["*"]
    if cloud:
        assert guard_deny["Condition"] == {"StringNotEquals": {"bedrock:GuardrailIdentifier": identifier}}
    # and only through the serving VPC's bedrock-runtime endpoint
    endpoint = _ref(stack, "aws_vpc_endpoint", "model_gateway/serving_network_bedrock_runtime", "id")
    network = [s for s in denies if "aws:SourceVpce" in json.dumps(s.get("Condition", {}))]
    (network_deny,) = network
    assert network_deny["Condition"] == {"StringNotEqualsIfExists": {"aws:SourceVpce": endpoint}}
    # the data-access network binding is unaffected
    bound = inference["DataAccessOnlyFromPlatformNetworks"]
    assert bound["Condition"]["StringNotEqualsIfExists"]["aws:SourceVpc"] == [
        _ref(stack, "aws_vpc", "serving_network/vpc", "id")]
    # no other identity policy grants a Bedrock action (beyond the training roles when configured)
    granted = {"inference_role/policy"} | ({"training_job_role/policy", "training_compute/job_role/policy"}
                                           if bedrock.training_vpc else set())
    for path, body in policies.items():
        if path in granted:
            continue
        assert not [s for s in statements(body["policy"]) if s["Effect"] == "Allow" and _mentions_bedrock(s)], path


def test_guardrail_follows_the_configuration(enabled: tuple[dict[str, Any], Any], synthesized: Synthesized,
                                             env_name: str) -> None:
    stack, bedrock = enabled
    guardrails = by_path(stack, "aws_bedrock_guardrail")
    if synthesized.environments[env_name].config.emulator is not None:
        # emulator capability switch, named in the output (never a silent drop)
        assert guardrails == {}
        assert emulator_gaps.BEDROCK_GUARDRAIL.control in stack["output"]["emulator_capability_gaps"]["value"]
        return
    guardrail = guardrails["model_gateway/guardrail"]
    filters = {f["type"]: (f["input_strength"], f["output_strength"])
               for f in guardrail["content_policy_config"][0]["filters_config"]}
    assert filters == {kind: (f.input_strength, f.output_strength)
                       for kind, f in bedrock.guardrail.content_filters.items()}
    assert filters["PROMPT_ATTACK"][0] != "NONE"
    pii = {p["type"]: p["action"]
           for p in guardrail["sensitive_information_policy_config"][0]["pii_entities_config"]}
    assert pii == dict(bedrock.guardrail.pii_entities)
    assert pii["AWS_SECRET_KEY"] == "BLOCK"
    topics = {t["name"]: t for t in (guardrail.get("topic_policy_config") or [{"topics_config": []}])[0]
              ["topics_config"]}
    assert set(topics) == set(bedrock.guardrail.denied_topics)
    for name, topic in topics.items():
        assert topic["type"] == "DENY" and topic["definition"] == bedrock.guardrail.denied_topics[name].definition
    versions = by_path(stack, "aws_bedrock_guardrail_version")
    assert versions["model_gateway/guardrail_version"]["guardrail_arn"] == _ref(
        stack, "aws_bedrock_guardrail", "model_gateway/guardrail", "guardrail_arn")
    # a version is an immutable snapshot: a changed guardrail must produce a new version, or the roles keep requiring
    # the old one (and its old filters) while the apply reports success
    guardrail_address = "aws_bedrock_guardrail." + next(iter(resources(stack, "aws_bedrock_guardrail")))
    assert versions["model_gateway/guardrail_version"]["lifecycle"]["replace_triggered_by"] == [guardrail_address]


def test_invocations_are_logged_to_the_archive_and_an_encrypted_group(enabled: tuple[dict[str, Any], Any],
                                                                      synthesized: Synthesized,
                                                                      env_name: str) -> None:
    stack, _ = enabled
    config = synthesized.environments[env_name].config
    account, region = config.account_id, config.region
    (logging,) = resources(stack, "aws_bedrock_model_invocation_logging_configuration").values()
    settings = logging["logging_config"]
    assert settings["text_data_delivery_enabled"] is True
    s3 = settings["s3_config"]
    assert s3["bucket_name"] == _ref(stack, "aws_s3_bucket", "log_archive/archive/bucket", "bucket")
    groups = by_path(stack, "aws_cloudwatch_log_group")
    group = groups["model_gateway/invocation_log_group/log_group"]
    assert settings["cloudwatch_config"]["log_group_name"] == _ref(
        stack, "aws_cloudwatch_log_group", "model_gateway/invocation_log_group/log_group", "name")
    assert group["kms_key_id"] == _ref(stack, "aws_kms_key", "keys/logs/key", "arn")
    assert group["retention_in_days"] >= 365
    roles = by_path(stack, "aws_iam_role")
    role = roles["model_gateway/invocation_log_role/role"]
    assert settings["cloudwatch_config"]["role_arn"] == _ref(stack, "aws_iam_role",
                                                             "model_gateway/invocation_log_role/role", "arn")
    (trust,) = statements(role["assume_role_policy"])
    assert trust["Principal"] == {"Service": "bedrock.amazonaws.com"}
    assert trust["Condition"] == {"StringEquals": {"aws:SourceAccount": account},
                                  "ArnLike": {"aws:SourceArn": f"arn:aws:bedrock:{region}:{account}:*"}}
    # the archive admits Bedrock only for this account's sources, only PutObject, only under the prefix
    archive_policy = by_path(stack, "aws_s3_bucket_policy")["log_archive/archive/policy"]["policy"]
    delivery = [s for s in statements(archive_policy) if s.get("Principal") == {"Service": "bedrock.amazonaws.com"}]
    (put,) = delivery
    assert put["Effect"] == "Allow" and as_list(put["Action"]) == ["s3:PutObject"]
    (resource,) = as_list(put["Resource"])
    assert resource.endswith(f"/{s3['key_prefix']}/*")
    assert put["Condition"] == trust["Condition"]
    key_policy = by_path(stack, "aws_kms_key")["keys/logs/key"]["policy"]
    key_grants = [s for s in statements(key_policy) if s.get("Principal") == {"Service": "bedrock.amazonaws.com"}]
    (key_grant,) = key_grants
    assert set(as_list(key_grant["Action"])) <= {"kms:GenerateDataKey", "kms:DescribeKey"}
    assert key_grant["Condition"] == trust["Condition"]


def test_alarms_on_guardrail_interventions_and_invocation_spikes(enabled: tuple[dict[str, Any], Any],
                                                                 synthesized: Synthesized, env_name: str) -> None:
    stack, bedrock = enabled
    topic = _ref(stack, "aws_sns_topic", "alert_topic/topic", "arn")
    alarms = by_path(stack, "aws_cloudwatch_metric_alarm")
    mine = {path: a for path, a in alarms.items() if path.startswith("model_gateway/")}
    assert mine and all(a["alarm_actions"] == [topic] for a in mine.values())
    model_ids = {arn.split("foundation-model/", 1)[1] for arn in bedrock.model_arns}
    static = {a["dimensions"]["ModelId"]: a for a in mine.values()
              if a.get("namespace") == "AWS/Bedrock" and a.get("metric_name") == "Invocations"}
    assert set(static) == model_ids
    assert all(a["threshold"] == bedrock.invocation_spike_per_5_minutes for a in static.values())
    bands = [a for a in mine.values() if any("ANOMALY_DETECTION_BAND" in q.get("expression", "")
                                             for q in a.get("metric_query", []))]
    assert len(bands) == len(model_ids)
    interventions = [a for a in mine.values() if a.get("metric_name") == "InvocationsIntervened"]
    if synthesized.environments[env_name].config.emulator is not None:
        assert interventions == []  # no guardrail in the emulator (capability switch)
        return
    (intervention,) = interventions
    assert intervention["namespace"] == "AWS/Bedrock/Guardrails"
    # the documented dimension set is (GuardrailArn, GuardrailVersion): an alarm on a subset matches no series
    assert intervention["dimensions"] == {
        "GuardrailArn": _ref(stack, "aws_bedrock_guardrail", "model_gateway/guardrail", "guardrail_arn"),
        "GuardrailVersion": _ref(stack, "aws_bedrock_guardrail_version", "model_gateway/guardrail_version", "version")}
    assert intervention["threshold"] == bedrock.guardrail_interventions_per_5_minutes


def test_emulator_with_model_apis_names_the_guardrail_switch(tmp_path_factory: pytest.TempPathFactory,
                                                             loaded_environments: dict[str, LoadedEnvironment]
                                                             ) -> None:
    """No repository environment turns model APIs on in `local`; one that does gets the named capability switch,
    still requires a guardrail of its own account, and keeps the endpoint, grants, logging and spike alarms."""
    from stacks.config.model import EnvironmentConfig
    from stacks.synth import synthesize

    local = loaded_environments["local"]
    data = local.config.model_dump(mode="json", exclude_none=True)
    region, account = local.config.region, local.config.account_id
    model = f"arn:aws:bedrock:{region}::foundation-model/anthropic.claude-3-haiku-20240307-v1:0"
    data["serving"]["model_apis"] = {"bedrock": {"model_arns": [model]}}
    variant = LoadedEnvironment(name="local", source=local.source, config=EnvironmentConfig.model_validate(data))
    outdir = tmp_path_factory.mktemp("synth-local-models") / "cdktf.out"
    synthesize([variant], outdir)
    stack = json.loads((outdir / "stacks" / "local" / "cdk.tf.json").read_text(encoding="utf-8"))
    assert emulator_gaps.BEDROCK_GUARDRAIL.control in stack["output"]["emulator_capability_gaps"]["value"]
    assert emulator_gaps.BEDROCK_GUARDRAIL in emulator_gaps.GAPS  # listed in every deploy summary
    assert by_path(stack, "aws_bedrock_guardrail") == {} and by_path(stack, "aws_bedrock_guardrail_version") == {}
    assert [e for e in resources(stack, "aws_vpc_endpoint").values() if "bedrock-runtime" in e["service_name"]]
    assert len(resources(stack, "aws_bedrock_model_invocation_logging_configuration")) == 1
    inference = {s["Sid"]: s for s in statements(by_path(stack, "aws_iam_role_policy")["inference_role/policy"]
                                                 ["policy"])}
    own = f"arn:aws:bedrock:{region}:{account}:guardrail/*"
    assert inference["InvokeModelsWithTheGuardrail"]["Condition"] == {
        "ArnLike": {"bedrock:GuardrailIdentifier": own}}
    assert inference["NoInvocationWithoutTheGuardrail"]["Condition"] == {
        "ArnNotLike": {"bedrock:GuardrailIdentifier": own}}
    assert stack["provider"]["aws"][0]["endpoints"][0]["bedrock"].startswith("http://127.0.0.1")
