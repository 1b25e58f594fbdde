"""Step 5 serving invariants on every environment's synthesized JSON.

dev/staging/prod must hold every control; `local` differs only where an emulator capability switch says
so, and then the switch must be visible in the synthesized output (``emulator_capability_gaps``)."""

from __future__ import annotations

import json

import pytest

from stacks.config import emulator_gaps
from tests.conftest import PROJECT_ROOT, Synthesized
from tests.layouts import delegated_archive
from tests.tfjson import as_list, by_path, egress_built, logical_id, ref, resources, statements, target
from zero_trust_ai.runtime.token_validator import MAX_TOKEN_TTL_SECONDS, PARAM_JWKS, SSM_PARAMETER_NAMES

CLOUD = ("dev", "staging", "prod")


def _gaps(stack: dict) -> list[str]:
    return list(stack["output"]["emulator_capability_gaps"]["value"])


def test_load_balancer_is_internal_https_only_and_logged(synthesized: Synthesized, env_name: str) -> None:
    stack = synthesized.stack(env_name)
    (lb,) = resources(stack, "aws_lb").values()
    assert lb["internal"] is True and lb["load_balancer_type"] == "application"
    assert lb["drop_invalid_header_fields"] is True and lb["desync_mitigation_mode"] == "strictest"
    serving_subnets = {logical_id(stack, "aws_subnet", p) for p in by_path(stack, "aws_subnet")
                       if p.startswith("serving_network/")}
    assert {ref(s)[1] for s in lb["subnets"]} == serving_subnets  # type: ignore[index]
    logs = lb["access_logs"]
    assert logs["enabled"] is True and logs["prefix"] == f"alb/ztai-{env_name}-serving"
    if delegated_archive(synthesized.environments[env_name]) is None:  # else: tests/test_invariants_delegated.py
        assert target(stack, logs["bucket"])["//"]["metadata"]["path"].endswith("log_archive/access_logs/bucket")
    assert lb["enable_deletion_protection"] is (env_name != "local")
    listeners = list(resources(stack, "aws_lb_listener").values())
    assert listeners, "no listener"
    for listener in listeners:  # no HTTP listener, no redirect port: HTTPS 443 with TLS 1.3 only
        assert listener["protocol"] == "HTTPS" and listener["port"] == 443
        assert listener["ssl_policy"] == "ELBSecurityPolicy-TLS13-1-3-2021-06"
        assert target(stack, listener["load_balancer_arn"]) is lb


@pytest.mark.parametrize("env", CLOUD)
def test_listener_verifies_client_certificates_against_the_trust_store(synthesized: Synthesized, env: str) -> None:
    stack = synthesized.stack(env)
    config = synthesized.environments[env].config
    (listener,) = resources(stack, "aws_lb_listener").values()
    mutual = listener["mutual_authentication"]
    assert mutual["mode"] == "verify" and mutual["ignore_client_certificate_expiry"] is False
    store = target(stack, mutual["trust_store_arn"])
    bundle = target(stack, store["ca_certificates_bundle_s3_key"])
    assert store["ca_certificates_bundle_s3_object_version"].endswith(".version_id}")
    # the bundle travels with the stack as an asset: byte-identical to the configured file
    shipped = synthesized.outdir / "stacks" / env / bundle["source"]
    assert shipped.read_bytes() == (PROJECT_ROOT / config.serving.client_ca_bundle_file).read_bytes()
    assert bundle["source_hash"] in bundle["source"]
    bucket = target(stack, bundle["bucket"])
    assert bucket["//"]["metadata"]["path"].endswith("serving_trust/bucket")
    assert target(stack, bundle["kms_key_id"])["//"]["metadata"]["path"].endswith("keys/models/key")
    trust_path = "serving_trust/bucket"
    public_blocks = [b for b in resources(stack, "aws_s3_bucket_public_access_block").values()
                     if target(stack, b["bucket"]) is by_path(stack, "aws_s3_bucket")[trust_path]]
    assert public_blocks and all(b["block_public_policy"] and b["restrict_public_buckets"] for b in public_blocks)
    (certificate,) = resources(stack, "aws_acm_certificate").values()
    assert certificate["certificate_authority_arn"] == config.serving.certificate.certificate_authority_arn
    assert _gaps(stack) == []


def test_local_lists_the_missing_trust_store_by_name(synthesized: Synthesized) -> None:
    stack = synthesized.stack("local")
    (listener,) = resources(stack, "aws_lb_listener").values()
    assert "mutual_authentication" not in listener
    assert not resources(stack, "aws_lb_trust_store")
    assert emulator_gaps.MUTUAL_TLS_TRUST_STORE.control in _gaps(stack)
    (certificate,) = resources(stack, "aws_acm_certificate").values()
    assert certificate["private_key"] == '${file("../../../.emulator/pki/serving.key")}'


def test_token_issuer_scopes_per_role_and_short_lived_tokens(synthesized: Synthesized, env_name: str) -> None:
    stack = synthesized.stack(env_name)
    serving = synthesized.environments[env_name].config.serving
    (pool,) = resources(stack, "aws_cognito_user_pool").values()
    assert pool["admin_create_user_config"]["allow_admin_create_user_only"] is True
    (server,) = resources(stack, "aws_cognito_resource_server").values()
    identifier = server["identifier"]
    assert {s["scope_name"] for s in server["scope"]} == {"invoke", "update-routing"}
    clients = {c["name"].removeprefix(f"ztai-{env_name}-"): c
               for c in resources(stack, "aws_cognito_user_pool_client").values()}
    assert set(clients) == set(serving.callers)
    for caller, client in clients.items():
        assert client["allowed_oauth_flows"] == ["client_credentials"], caller
        assert client["generate_secret"] is True
        operations = serving.callers[caller].operations
        assert sorted(client["allowed_oauth_scopes"]) == sorted(f"{identifier}/{op}" for op in operations)
        (units,) = client["token_validity_units"]
        assert units["access_token"] == "minutes"
        assert client["access_token_validity"] == serving.token_ttl_minutes
        assert client["access_token_validity"] * 60 <= MAX_TOKEN_TTL_SECONDS


def test_validator_settings_reach_the_targets_through_ssm(synthesized: Synthesized, env_name: str) -> None:
    stack = synthesized.stack(env_name)
    config = synthesized.environments[env_name].config
    path = f"/ztai-{env_name}/serving/token/"
    parameters = {p["name"].removeprefix(path): p for p in resources(stack, "aws_ssm_parameter").values()
                  if p["name"].startswith(path)}
    # exactly the names the validator reads (zero_trust_ai/runtime/token_validator.py), plus the published JWKS
    assert set(parameters) == {*SSM_PARAMETER_NAMES, PARAM_JWKS}
    jwks = parameters.pop(PARAM_JWKS)
    assert jwks["type"] == "String" and jwks["lifecycle"]["ignore_changes"] == ["value"]  # public keys
    assert all(p["type"] == "SecureString" for p in parameters.values())
    assert parameters["max_token_ttl_seconds"]["value"] == str(config.serving.token_ttl_minutes * 60)
    pool = logical_id(stack, "aws_cognito_user_pool", "token_issuer/pool")
    issuer = f"https://cognito-idp.{config.region}.amazonaws.com/${{aws_cognito_user_pool.{pool}.id}}"
    assert parameters["issuer"]["value"] == issuer
    assert parameters["jwks_url"]["value"] == f"{issuer}/.well-known/jwks.json"
    scopes = json.loads(parameters["scopes"]["value"])
    assert scopes == {"invoke": f"ztai-{env_name}-serving/invoke",
                      "update-routing": f"ztai-{env_name}-serving/update-routing"}
    inference = by_path(stack, "aws_iam_role_policy")["inference_role/policy"]
    reads = [s for s in statements(inference["policy"]) if "ssm:GetParameters" in s["Action"]]
    assert reads and all(s["Resource"].endswith(f":parameter{path}*") for s in reads)
    profile_env = by_path(stack, "aws_launch_template")["inference_fleet/launch_template"]["user_data"]
    assert path in profile_env


def test_inference_targets_private_imdsv2_encrypted_and_only_reachable_from_the_alb(
        synthesized: Synthesized, env_name: str) -> None:
    stack = synthesized.stack(env_name)
    (group,) = resources(stack, "aws_autoscaling_group").values()
    external = synthesized.environments[env_name].config.serving.model_apis.external
    on_egress = egress_built(stack) and external is not None and "inference_fleet" in external.workloads
    # the private subnets -- or, where the configuration names the fleet for external model APIs, the egress path's
    # workload subnets (the only subnets routed through the firewall)
    tier = "model_egress/workload_subnet_" if on_egress else "serving_network/"
    serving_subnets = {logical_id(stack, "aws_subnet", p) for p in by_path(stack, "aws_subnet") if p.startswith(tier)}
    assert serving_subnets
    assert {ref(s)[1] for s in group["vpc_zone_identifier"]} == serving_subnets  # type: ignore[index]
    (tg_arn,) = group["target_group_arns"]
    target_group = target(stack, tg_arn)
    assert target_group["protocol"] == "HTTPS"
    template = target(stack, group["launch_template"]["id"])
    assert template["metadata_options"]["http_tokens"] == "required"
    assert template["metadata_options"]["http_put_response_hop_limit"] == 1
    (device,) = template["block_device_mappings"]
    assert device["ebs"]["encrypted"] == "true"
    assert target(stack, device["ebs"]["kms_key_id"])["//"]["metadata"]["path"].endswith("keys/models/key")
    (nic,) = template["network_interfaces"]
    assert nic["associate_public_ip_address"] == "false"
    sg_ref, *egress_groups = nic["security_groups"]
    fleet_sg = target(stack, sg_ref)
    groups = by_path(stack, "aws_security_group")
    assert [target(stack, g) for g in egress_groups] == ([groups["model_egress/workload_sg"]] if on_egress else [])
    assert fleet_sg.get("ingress", []) == []  # no inline ingress at all ...
    port = target_group["port"]
    alb_sg = by_path(stack, "aws_security_group")["serving_load_balancer/security_group"]
    rules = list(resources(stack, "aws_security_group_rule").values())
    into_fleet = [r for r in rules if r["type"] == "ingress" and target(stack, r["security_group_id"]) is fleet_sg]
    assert len(into_fleet) == 1  # ... only the one rule from the ALB's security group, on the model port
    (rule,) = into_fleet
    assert target(stack, rule["source_security_group_id"]) is alb_sg
    assert (rule["from_port"], rule["to_port"]) == (port, port) and "cidr_blocks" not in rule
    out_of_alb = [r for r in rules if r["type"] == "egress" and target(stack, r["security_group_id"]) is alb_sg]
    assert [target(stack, r["source_security_group_id"]) for r in out_of_alb] == [fleet_sg]
    assert alb_sg.get("egress", []) == [] and alb_sg.get("ingress", []) == []
    into_alb = [r for r in rules if r["type"] == "ingress" and target(stack, r["security_group_id"]) is alb_sg]
    config = synthesized.environments[env_name].config
    assert [(r["from_port"], r["cidr_blocks"]) for r in into_alb] == [(443, [config.network.serving_vpc_cidr])]
    profile = target(stack, template["iam_instance_profile"]["arn"])
    assert target(stack, profile["role"].replace(".name}", ".arn}"))["name"] == f"ztai-{env_name}-inference"


def test_waf_rate_limits_and_protects_the_load_balancer(synthesized: Synthesized, env_name: str) -> None:
    stack = synthesized.stack(env_name)
    config = synthesized.environments[env_name].config
    (acl,) = resources(stack, "aws_wafv2_web_acl").values()
    assert acl["scope"] == "REGIONAL"
    rules = {r["name"]: r for r in acl["rule"]}
    rate = rules["rate-limit-per-client"]["statement"]["rate_based_statement"]
    assert rate["limit"] == config.serving.inference_rate_limit and rate["aggregate_key_type"] == "IP"
    assert "block" in rules["rate-limit-per-client"]["action"]
    assert min(r["priority"] for r in acl["rule"]) == rules["rate-limit-per-client"]["priority"]
    managed = {r["statement"]["managed_rule_group_statement"]["name"] for r in acl["rule"]
               if "managed_rule_group_statement" in r["statement"]}
    assert {"AWSManagedRulesCommonRuleSet", "AWSManagedRulesKnownBadInputsRuleSet",
            "AWSManagedRulesAmazonIpReputationList"} <= managed
    (association,) = resources(stack, "aws_wafv2_web_acl_association").values()
    assert target(stack, association["resource_arn"]) is next(iter(resources(stack, "aws_lb").values()))
    assert target(stack, association["web_acl_arn"]) is acl
    (logging_config,) = resources(stack, "aws_wafv2_web_acl_logging_configuration").values()
    assert logging_config["redacted_fields"] == [{"single_header": {"name": "authorization"}}]
    (destination,) = logging_config["log_destination_configs"]
    group = target(stack, destination)
    assert group["name"].startswith("aws-waf-logs-") and group["kms_key_id"]


METRICS = ("RequestCount", "HTTPCode_Target_4XX_Count", "HTTPCode_Target_5XX_Count", "TargetResponseTime")


def test_anomaly_band_and_static_alarm_per_serving_metric(synthesized: Synthesized, env_name: str) -> None:
    stack = synthesized.stack(env_name)
    topic = logical_id(stack, "aws_sns_topic", "alert_topic/topic")
    alarms = [a for a in resources(stack, "aws_cloudwatch_metric_alarm").values()
              if "-serving-" in a["alarm_name"]]
    for metric in METRICS:
        band = [a for a in alarms if any(q.get("metric", {}).get("metric_name") == metric
                                         for q in a.get("metric_query", []))]
        static = [a for a in alarms if a.get("metric_name") == metric]
        assert len(band) == 1 and len(static) == 1, metric
        (anomaly,) = band
        expressions = [q["expression"] for q in anomaly["metric_query"] if "expression" in q]
        assert expressions and expressions[0].startswith("ANOMALY_DETECTION_BAND(")
        assert anomaly["threshold_metric_id"] == "band"
        for alarm in (anomaly, static[0]):
            assert alarm["alarm_actions"] == [f"${{aws_sns_topic.{topic}.arn}}"]
            dimensions = alarm.get("dimensions") or next(
                q["metric"]["dimensions"] for q in alarm["metric_query"] if "metric" in q)
            assert target(stack, dimensions["LoadBalancer"].replace(".arn_suffix}", ".arn}"))["internal"] is True


def test_each_caller_secret_is_readable_only_by_its_roles(synthesized: Synthesized, env_name: str) -> None:
    stack = synthesized.stack(env_name)
    serving = synthesized.environments[env_name].config.serving
    secrets = {body["name"].rsplit("/", 1)[-1]: (logical, body)
               for logical, body in resources(stack, "aws_secretsmanager_secret").items()}
    assert set(secrets) == set(serving.callers)
    policies = {target(stack, p["secret_arn"])["name"].rsplit("/", 1)[-1]: statements(p["policy"])
                for p in resources(stack, "aws_secretsmanager_secret_policy").values()}
    roles = {logical: body for logical, body in resources(stack, "aws_iam_role").items()}
    for caller, (logical, secret) in secrets.items():
        assert target(stack, secret["kms_key_id"])["//"]["metadata"]["path"].endswith("keys/models/key")
        expected = set(serving.callers[caller].principals)
        persona = serving.callers[caller].persona
        persona_role = next((lid for lid, body in roles.items()
                             if body["//"]["metadata"]["path"].endswith(f"identities/{persona}/role")), None)
        if persona:
            expected.add(f"${{aws_iam_role.{persona_role}.arn}}")
        readers = {arn for s in policies[caller] if s["Effect"] == "Allow" for arn in s["Principal"]["AWS"]}
        assert readers == expected, caller
        # identity side: only that persona's role may read this secret
        holders = [path for path, body in by_path(stack, "aws_iam_role_policy").items()
                   if f"aws_secretsmanager_secret.{logical}.arn" in body["policy"]]
        assert holders == ([f"identities/{persona}/policy"] if persona else []), caller
    version = next(iter(resources(stack, "aws_secretsmanager_secret_version").values()))
    assert version["secret_string"].startswith("${jsonencode(") and "client_secret" in version["secret_string"]


def test_jwks_reaches_targets_without_egress(synthesized: Synthesized, env_name: str) -> None:
    """Cognito's JWKS is internet-only; a signed function outside the VPC publishes it to SSM on a schedule,
    allowed to write only that parameter, and the inference role reads it through the SSM endpoint."""
    stack = synthesized.stack(env_name)
    config = synthesized.environments[env_name].config
    functions = {f["function_name"]: f for f in resources(stack, "aws_lambda_function").values()}
    publisher = functions[f"ztai-{env_name}-jwks-publisher"]
    assert "vpc_config" not in publisher
    variables = publisher["environment"]["variables"]
    pool = logical_id(stack, "aws_cognito_user_pool", "token_issuer/pool")
    assert variables["JWKS_URL"] == (f"https://cognito-idp.{config.region}.amazonaws.com/"
                                     f"${{aws_cognito_user_pool.{pool}.id}}/.well-known/jwks.json")
    assert variables["PARAMETER_NAME"] == f"/ztai-{env_name}/serving/token/{PARAM_JWKS}"
    # every variable the handler reads is set, and nothing else
    from zero_trust_ai.runtime.jwks_publisher import handler

    assert {handler.ENV_JWKS_URL, handler.ENV_PARAMETER_NAME} == set(variables)
    policy = statements(by_path(stack, "aws_iam_role_policy")["jwks_publisher/role/policy"]["policy"])
    ssm = [s for s in policy if any(a.startswith("ssm:") for a in as_list(s["Action"]))]
    assert [s["Resource"] for s in ssm] == [
        f"arn:aws:ssm:{config.region}:{config.account_id}:parameter/ztai-{env_name}/serving/token/{PARAM_JWKS}"]
    assert set(as_list(ssm[0]["Action"])) == {"ssm:GetParameter", "ssm:PutParameter"}
    rule = by_path(stack, "aws_cloudwatch_event_rule")["jwks_publisher/schedule"]
    assert rule["schedule_expression"].startswith("rate(")
    signed = "code_signing_config_arn" in publisher
    assert signed is (env_name != "local")
