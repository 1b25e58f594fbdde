"""Round-2 invariants: the doors an independent review found, closed in every environment's synthesized JSON.

Limits and action sets come from the requirement (docs/controls.md, "Round 2"), never from the code under test.
Action matching follows AWS: case-insensitive, `*` and `?` wildcards.
"""

from __future__ import annotations

import fnmatch
import re
from typing import Any

import pytest

from tests.conftest import Synthesized
from tests.tfjson import as_list, by_path, dns_forms, egress_built, logical_id, resources, statements, target

DATA_BUCKETS = ("raw", "features", "training", "validation", "models")
KMS_DATA_PLANE = ("kms:Decrypt", "kms:Encrypt", "kms:GenerateDataKey", "kms:GenerateDataKeyWithoutPlaintext",
                  "kms:GenerateDataKeyPair", "kms:ReEncryptFrom", "kms:ReEncryptTo", "kms:Sign", "kms:CreateGrant")
S3_OBJECT_READ_WRITE = ("s3:GetObject", "s3:GetObjectVersion", "s3:GetObjectAttributes", "s3:GetObjectTagging",
                        "s3:PutObject", "s3:PutObjectTagging", "s3:DeleteObject", "s3:DeleteObjectVersion",
                        "s3:RestoreObject", "s3:AbortMultipartUpload")
WORKLOADS = {"training_job_role/role": "training_network", "training_compute/job_role/role": "training_network",
             "inference_role/role": "serving_network"}


def aws_match(pattern: str, value: str) -> bool:
    """IAM wildcard match: `*` any run, `?` one character, case-insensitive (action names)."""
    regex = "".join(".*" if c == "*" else "." if c == "?" else re.escape(c) for c in pattern)
    return re.fullmatch(regex, value, flags=re.IGNORECASE) is not None


def covers(actions: Any, action: str) -> bool:
    return any(aws_match(pattern, action) for pattern in as_list(actions))


def role_ref(stack: dict[str, Any], path: str) -> str:
    return f"${{aws_iam_role.{logical_id(stack, 'aws_iam_role', path)}.arn}}"


def cloud(synthesized: Synthesized, env_name: str) -> bool:
    return not synthesized.environments[env_name].config.is_emulated


# -- 1. resource-side data perimeter -----------------------------------------------------------------------

def test_no_key_policy_lets_the_account_or_anyone_use_a_key_for_data(synthesized: Synthesized, env_name: str) -> None:
    stack = synthesized.stack(env_name)
    account = synthesized.environments[env_name].config.account_id
    for path, key in by_path(stack, "aws_kms_key").items():
        for statement in statements(key["policy"]):
            if statement["Effect"] != "Allow":
                continue
            principal = statement["Principal"]
            aws = as_list(principal.get("AWS")) if isinstance(principal, dict) else as_list(principal)
            data_plane = [a for a in KMS_DATA_PLANE if covers(statement["Action"], a)]
            if not data_plane:
                continue
            for who in aws:
                assert who not in ("*", account, f"arn:aws:iam::{account}:root"), (path, statement["Sid"])
                assert not who.endswith(":root"), (path, statement["Sid"])
                # every data-plane principal is a specific role: a stack role, a configured role ARN, or the
                # deploying principal's session issuer
                assert who.startswith(("${aws_iam_role.", "${data.aws_iam_session_context.", "arn:aws:iam::")), who


def test_the_deploying_principal_uses_keys_only_through_the_services_that_store_deploy_time_data(
        synthesized: Synthesized, env_name: str) -> None:
    stack = synthesized.stack(env_name)
    config = synthesized.environments[env_name].config
    expected = {"keys/logs/key": {"s3", "lambda"}, "keys/models/key": {"s3", "ssm", "secretsmanager"}}
    for path, key in by_path(stack, "aws_kms_key").items():
        deployment = [s for s in statements(key["policy"])
                      if any(str(p).startswith("${data.aws_iam_session_context.")
                             for p in as_list(s.get("Principal", {}).get("AWS")))]
        if path not in expected:
            assert deployment == [], path
            continue
        if path == "keys/logs/key" and egress_built(stack):
            # Network Firewall encrypts the firewall, policy and rule group with the logs key through grants made on
            # the creating principal's behalf, only through Network Firewall, only in this account
            (firewall,) = [s for s in deployment if s.get("Sid") == "NetworkFirewallEncryptsWithThisKey"]
            deployment.remove(firewall)
            assert set(as_list(firewall["Action"])) == {"kms:CreateGrant", "kms:Decrypt", "kms:DescribeKey",
                                                        "kms:GenerateDataKey"}
            assert firewall["Condition"] == {"StringEquals": {
                "kms:ViaService": f"network-firewall.{config.region}.amazonaws.com",
                "kms:CallerAccount": config.account_id}}
        (grant,) = deployment
        assert set(as_list(grant["Action"])) == {"kms:Decrypt", "kms:DescribeKey", "kms:Encrypt",
                                                 "kms:GenerateDataKey"}
        services = {f"{s}.{config.region}.amazonaws.com" for s in expected[path]}
        assert grant["Condition"] == {"StringEquals": {"kms:ViaService": sorted(services),
                                                       "kms:CallerAccount": config.account_id}}
    data_sources = stack["data"]["aws_iam_session_context"]
    (context,) = data_sources.values()
    assert context["arn"].startswith("${data.aws_caller_identity.")


def _identity_grants_on(stack: dict[str, Any], bucket_logical: str) -> set[str]:
    """Role ARN references whose identity policy allows an object action on the bucket (any prefix)."""
    granted = set()
    for body in resources(stack, "aws_iam_role_policy").values():
        role = target(stack, body["role"].replace(".id}", ".arn}"))
        role_logical = next(k for k, v in resources(stack, "aws_iam_role").items() if v is role)
        for statement in statements(body["policy"]):
            if statement["Effect"] != "Allow":
                continue
            # a reference to this bucket, "*", or any literal S3 ARN pattern (which may match it)
            on_bucket = any(f"aws_s3_bucket.{bucket_logical}.arn" in r or r == "*"
                            or fnmatch.fnmatchcase(r, "arn:aws:s3:::*") for r in as_list(statement["Resource"]))
            if on_bucket and any(covers(statement["Action"], a) for a in S3_OBJECT_READ_WRITE):
                granted.add(f"${{aws_iam_role.{role_logical}.arn}}")
    return granted


def test_every_data_bucket_denies_object_access_to_everyone_outside_its_grants(
        synthesized: Synthesized, env_name: str) -> None:
    stack = synthesized.stack(env_name)
    buckets = by_path(stack, "aws_s3_bucket")
    policies = {target(stack, body["bucket"].replace(".id}", ".arn}"))["bucket"]: body
                for body in resources(stack, "aws_s3_bucket_policy").values()}
    (deployer,) = stack["data"]["aws_iam_session_context"]  # the principal running terraform
    for name in DATA_BUCKETS:
        bucket = buckets[f"data_lake/{name}/bucket"]
        logical = logical_id(stack, "aws_s3_bucket", f"data_lake/{name}/bucket")
        document = {s["Sid"]: s for s in statements(policies[bucket["bucket"]]["policy"])}
        perimeter = document["DenyPrincipalsOutsideTheGrants"]
        assert perimeter["Effect"] == "Deny" and perimeter["Principal"] == {"AWS": "*"}
        assert perimeter["Resource"] == f"${{aws_s3_bucket.{logical}.arn}}/*"
        for action in S3_OBJECT_READ_WRITE:
            assert covers(perimeter["Action"], action), (name, action)
        # bucket administration stays possible (lockout safety): the Deny never covers policy/configuration
        for admin in ("s3:PutBucketPolicy", "s3:GetBucketPolicy", "s3:DeleteBucketPolicy", "s3:PutBucketVersioning"):
            assert not covers(perimeter["Action"], admin), admin
        condition = perimeter["Condition"]
        assert condition["BoolIfExists"] == {"aws:PrincipalIsAWSService": "false"}
        # exactly the roles that hold an identity-policy grant on this bucket (computed, not listed)
        granted = _identity_grants_on(stack, logical)
        assert set(as_list(condition.get("ArnNotLike", {}).get("aws:PrincipalArn"))) == granted, name
        assert set(condition) <= {"BoolIfExists", "ArnNotLike"}
        # object names are data too: listing is fenced to the same principals, plus the deployer (HeadBucket)
        listing = document["DenyListingOutsideTheGrants"]
        assert listing["Effect"] == "Deny" and listing["Principal"] == {"AWS": "*"}
        assert listing["Resource"] == f"${{aws_s3_bucket.{logical}.arn}}"
        for action in ("s3:ListBucket", "s3:ListBucketVersions", "s3:ListBucketMultipartUploads"):
            assert covers(listing["Action"], action), (name, action)
        assert not covers(listing["Action"], "s3:PutBucketPolicy")
        assert listing["Condition"]["BoolIfExists"] == {"aws:PrincipalIsAWSService": "false"}
        assert set(as_list(listing["Condition"]["ArnNotLike"]["aws:PrincipalArn"])) == granted | {
            f"${{data.aws_iam_session_context.{deployer}.issuer_arn}}"}, name
    # validation: nobody is granted, so the perimeter has no exception but AWS services
    validation = {s["Sid"]: s for s in statements(policies[buckets["data_lake/validation/bucket"]["bucket"]]["policy"])}
    assert "ArnNotLike" not in validation["DenyPrincipalsOutsideTheGrants"]["Condition"]


def test_the_model_registry_refuses_overwrites_by_key(synthesized: Synthesized, env_name: str) -> None:
    stack = synthesized.stack(env_name)
    models = by_path(stack, "aws_s3_bucket_policy")["data_lake/models/policy"]
    logical = logical_id(stack, "aws_s3_bucket", "data_lake/models/bucket")
    (deny,) = [s for s in statements(models["policy"]) if s["Sid"].startswith("DenyOverwrites")]
    assert deny["Effect"] == "Deny" and deny["Principal"] == {"AWS": "*"}
    assert as_list(deny["Action"]) == ["s3:PutObject"]
    assert deny["Resource"] == f"${{aws_s3_bucket.{logical}.arn}}/*"
    # https://docs.aws.amazon.com/AmazonS3/latest/userguide/conditional-writes-enforce.html
    assert deny["Condition"] == {"Null": {"s3:if-none-match": "true"},
                                 "BoolIfExists": {"s3:ObjectCreationOperation": "true"}}


def test_evidence_is_locked_in_compliance_mode(synthesized: Synthesized, env_name: str) -> None:
    locks = by_path(synthesized.stack(env_name), "aws_s3_bucket_object_lock_configuration")
    assert locks["log_archive/archive/object_lock"]["rule"]["default_retention"]["mode"] == "COMPLIANCE"


# -- 2. serving control plane ------------------------------------------------------------------------------

def test_launch_templates_are_pinned_to_a_terraform_managed_version(synthesized: Synthesized, env_name: str) -> None:
    stack = synthesized.stack(env_name)
    (group,) = resources(stack, "aws_autoscaling_group").values()
    template = group["launch_template"]
    assert template["version"] == template["id"].replace(".id}", ".latest_version}")
    (environment,) = resources(stack, "aws_batch_compute_environment").values()
    batch = environment["compute_resources"]["launch_template"]
    assert batch["version"] == batch["launch_template_id"].replace(".id}", ".latest_version}")


@pytest.mark.parametrize("persona", ["data_engineer", "model_trainer", "model_deployer", "security_auditor"])
def test_no_persona_but_break_glass_can_change_listeners_or_launch_templates(synthesized: Synthesized,
                                                                            persona: str) -> None:
    stack = synthesized.stack("prod")
    forbidden = ("elasticloadbalancing:ModifyListener", "elasticloadbalancing:ModifyListenerAttributes",
                 "elasticloadbalancing:ModifyTrustStore", "ec2:CreateLaunchTemplateVersion",
                 "ec2:ModifyLaunchTemplate", "autoscaling:UpdateAutoScalingGroup", "autoscaling:StartInstanceRefresh")
    document = statements(by_path(stack, "aws_iam_role_policy")[f"identities/{persona}/policy"]["policy"])
    for statement in document:
        if statement["Effect"] == "Allow":
            assert not [a for a in forbidden if covers(statement["Action"], a)], (persona, statement["Sid"])


# -- 3. network perimeter ----------------------------------------------------------------------------------

@pytest.mark.parametrize("role_path", sorted(WORKLOADS))
def test_workload_data_access_only_from_the_platform_vpc(synthesized: Synthesized, env_name: str,
                                                        role_path: str) -> None:
    stack = synthesized.stack(env_name)
    role_logical = logical_id(stack, "aws_iam_role", role_path)
    (policy,) = [b for b in resources(stack, "aws_iam_role_policy").values()
                 if b["role"] == f"${{aws_iam_role.{role_logical}.id}}"]
    (bound,) = [s for s in statements(policy["policy"]) if s["Sid"] == "DataAccessOnlyFromPlatformNetworks"]
    assert bound["Effect"] == "Deny" and as_list(bound["Resource"]) == ["*"]
    for action in ("s3:GetObject", "s3:GetObjectVersion", "s3:PutObject", "s3:ListBucket", "kms:Decrypt",
                   "kms:GenerateDataKey", "kms:Sign"):
        assert covers(bound["Action"], action), action
    vpc = f"${{aws_vpc.{logical_id(stack, 'aws_vpc', WORKLOADS[role_path] + '/vpc')}.id}}"
    assert bound["Condition"] == {"StringNotEqualsIfExists": {"aws:SourceVpc": [vpc]},
                                  "BoolIfExists": {"aws:ViaAWSService": "false"}}


def test_dns_firewall_answers_only_aws_service_names_and_fails_closed(synthesized: Synthesized,
                                                                    env_name: str) -> None:
    stack = synthesized.stack(env_name)
    associations = by_path(stack, "aws_route53_resolver_firewall_rule_group_association")
    if not cloud(synthesized, env_name):
        # emulator capability switch, named in the output (never a silent drop)
        assert associations == {}
        gaps = stack["output"]["emulator_capability_gaps"]["value"]
        assert any("DNS Firewall" in gap for gap in gaps)
        return
    vpcs = {f"${{aws_vpc.{logical_id(stack, 'aws_vpc', f'{n}/vpc')}.id}}" for n in ("training_network",
                                                                                    "serving_network")}
    assert {a["vpc_id"] for a in associations.values()} == vpcs
    assert all(a["mutation_protection"] == "ENABLED" for a in associations.values())
    configs = resources(stack, "aws_route53_resolver_firewall_config")
    assert {c["resource_id"] for c in configs.values()} == vpcs
    assert all(c["firewall_fail_open"] == "DISABLED" for c in configs.values())
    rules = list(resources(stack, "aws_route53_resolver_firewall_rule").values())
    lists = {f"${{aws_route53_resolver_firewall_domain_list.{k}.id}}": v
             for k, v in resources(stack, "aws_route53_resolver_firewall_domain_list").items()}
    external = synthesized.environments[env_name].config.serving.model_apis.external
    egress_list = by_path(stack, "aws_route53_resolver_firewall_domain_list").get(
        "dns_firewall/serving_network_egress_domains")
    if external is None:
        assert egress_list is None
    else:
        # the serving VPC (only) also resolves exactly the external model APIs' allowed domains
        assert egress_list is not None and egress_list["domains"] == dns_forms(list(external.allowed_domains))
        egress_rules = [r for r in rules if lists[r["firewall_domain_list_id"]] is egress_list]
        assert [r["action"] for r in egress_rules] == ["ALLOW"]
        # an allowed API behind a CDN CNAME must resolve: its chain is trusted, every other name still blocked;
        # the AWS-names rules keep the default (inspect the whole chain)
        assert egress_rules[0]["firewall_domain_redirection_action"] == "TRUST_REDIRECTION_DOMAIN"
        assert all("firewall_domain_redirection_action" not in r for r in rules if r not in egress_rules)
        (egress_association,) = [a for p, a in associations.items() if p.startswith("dns_firewall/serving_network_"
                                                                                      "egress")]
        assert egress_association["vpc_id"] == f"${{aws_vpc.{logical_id(stack, 'aws_vpc', 'serving_network/vpc')}.id}}"
        assert target(stack, egress_association["firewall_rule_group_id"]) is target(
            stack, egress_rules[0]["firewall_rule_group_id"])
        assert egress_association["priority"] < min(a["priority"] for a in associations.values()
                                                    if a is not egress_association)
        rules = [r for r in rules if r not in egress_rules]
    allows = [r for r in rules if r["action"] == "ALLOW"]
    blocks = [r for r in rules if r["action"] == "BLOCK"]
    (block,) = blocks
    assert lists[block["firewall_domain_list_id"]]["domains"] == ["*"] and block["block_response"] == "NODATA"
    region = synthesized.environments[env_name].config.region
    for allow in allows:
        assert allow["priority"] < block["priority"]
        for domain in lists[allow["firewall_domain_list_id"]]["domains"]:
            assert domain != "*", domain
            assert domain.endswith((f"{region}.amazonaws.com", ".internal")), domain


# -- 4. integrity: separate release signing ----------------------------------------------------------------

def test_serving_trusts_only_release_signatures_and_trainers_cannot_release(synthesized: Synthesized,
                                                                           env_name: str) -> None:
    stack = synthesized.stack(env_name)
    keys = by_path(stack, "aws_kms_key")
    release = {s["Sid"]: s for s in statements(keys["keys/release_signing/key"]["policy"])}
    training = {s["Sid"]: s for s in statements(keys["keys/manifest_signing/key"]["policy"])}
    signers = {str(p) for s in release.values() if s["Effect"] == "Allow" and covers(s["Action"], "kms:Sign")
               for p in as_list(s["Principal"].get("AWS"))}
    # the deployer and the pipeline's release stage (issue 17), never a role that trains
    assert signers == {role_ref(stack, "identities/model_deployer/role"),
                       role_ref(stack, "ml_pipeline/release_role/role")}
    for trainer in ("identities/model_trainer/role", "training_job_role/role", "training_compute/job_role/role"):
        assert role_ref(stack, trainer) not in signers
    inference = role_ref(stack, "inference_role/role")
    assert not any(inference in as_list(s["Principal"].get("AWS")) for s in training.values())
    assert any(inference in as_list(s["Principal"].get("AWS")) and covers(s["Action"], "kms:Verify")
               for s in release.values())


# -- 5. quarantine gaps ------------------------------------------------------------------------------------

def test_break_glass_can_extend_a_quarantine_but_never_strip_the_response_roles(synthesized: Synthesized,
                                                                               env_name: str) -> None:
    from zero_trust_ai.runtime.quarantine.handler import schedule_name

    stack = synthesized.stack(env_name)
    config = synthesized.environments[env_name].config
    document = {s["Sid"]: s for s in statements(by_path(stack, "aws_iam_role_policy")[
        "identities/break_glass/policy"]["policy"])}
    # the release schedule the handler really creates for a quarantined role
    schedule = (f"arn:aws:scheduler:{config.region}:{config.account_id}:schedule/ztai-{env_name}-quarantine/"
                f"{schedule_name(f'ztai-{env_name}-data-engineer')}")
    extend = [s for s in document.values()
              if s["Effect"] == "Allow" and covers(s["Action"], "scheduler:DeleteSchedule")]
    assert any(any(aws_match(r, schedule) for r in as_list(s["Resource"])) for s in extend)
    deny = document["NeverBlindTheResponse"]
    assert deny["Effect"] == "Deny" and "Condition" not in deny
    for action in ("iam:DeleteRolePolicy", "iam:PutRolePolicy", "iam:DetachRolePolicy", "iam:AttachRolePolicy",
                   "iam:UpdateAssumeRolePolicy"):
        assert covers(deny["Action"], action), action
    protected = {role_ref(stack, p) for p in ("audit_trail/delivery_role/role", "quarantine/role/role",
                                              "quarantine/scheduler_role/role",
                                              "training_network/flow_log_role/role",
                                              "serving_network/flow_log_role/role")}
    assert protected <= set(as_list(deny["Resource"]))


def test_eventbridge_key_grants_are_bound_to_their_queue_or_topic(synthesized: Synthesized, env_name: str) -> None:
    stack = synthesized.stack(env_name)
    config = synthesized.environments[env_name].config
    logs = {s["Sid"]: s for s in statements(by_path(stack, "aws_kms_key")["keys/logs/key"]["policy"])}
    events = [s for s in logs.values() if s.get("Principal") == {"Service": "events.amazonaws.com"}]
    assert len(events) >= 3
    for statement in events:
        context = statement["Condition"]["StringEquals"]
        (key,) = [k for k in context if k.startswith("kms:EncryptionContext:")]
        prefix = {"kms:EncryptionContext:aws:sqs:arn": f"arn:aws:sqs:{config.region}:{config.account_id}:ztai-",
                  "kms:EncryptionContext:aws:sns:topicArn":
                  f"arn:aws:sns:{config.region}:{config.account_id}:ztai-"}[key]
        assert context[key].startswith(prefix), statement["Sid"]


# -- 6. lockout safety: every key and bucket stays administrable (AWS evaluation on the resolved policies) ---------

ADMINISTRATOR = {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "*", "Resource": "*"}]}


def _human_session(role: Any, tag: str) -> dict[str, Any]:
    """What AWS puts in a federated person's request context: role tags and the IdP's session tags."""
    return {"aws:SecureTransport": "true", f"aws:PrincipalTag/{tag}": "true",
            **{f"aws:PrincipalTag/{k}": v for k, v in role.tags.items()}}


def test_keys_and_buckets_stay_administrable_by_the_deployer_and_break_glass(synthesized: Synthesized,
                                                                             env_name: str) -> None:
    from blueprint.drill.policy_eval import Request, evaluate
    from tests.resolved_policies import resolve_stack

    config = synthesized.environments[env_name].config
    stack = resolve_stack(synthesized.stack(env_name), config, env_name)
    tag = config.identity.federation.mfa_session_tag
    roles = {role.path: role for role in stack.roles.values()}
    break_glass, engineer = roles["identities/break_glass/role"], roles["identities/data_engineer/role"]
    deployer = stack.resolver.deployer_session

    def as_person(role: Any, action: str, resource: str, policy: dict[str, Any] | None) -> bool:
        return evaluate(Request(role.session_arn(), action, resource, _human_session(role, tag)),
                        identity_policies=role.identity_policies, boundary=role.boundary,
                        resource_policies=[policy] if policy else []).allowed

    def as_deployer(action: str, resource: str, policy: dict[str, Any] | None) -> bool:
        return evaluate(Request(deployer, action, resource, {"aws:SecureTransport": "true"}),
                        identity_policies=[ADMINISTRATOR], resource_policies=[policy] if policy else []).allowed

    assert stack.keys and stack.buckets
    for key in stack.keys.values():
        for action in ("kms:PutKeyPolicy", "kms:DescribeKey", "kms:GetKeyPolicy"):
            assert as_deployer(action, key.arn, key.policy), (key.path, action)
            assert as_person(break_glass, action, key.arn, key.policy), (key.path, action)
        assert not as_person(engineer, "kms:PutKeyPolicy", key.arn, key.policy), key.path
        # administration never implies data use: an administrator calling KMS directly is refused
        assert not as_deployer("kms:Decrypt", key.arn, key.policy), key.path
    for bucket in stack.buckets.values():
        assert as_deployer("s3:PutBucketPolicy", bucket.arn, bucket.policy), bucket.path
        assert as_person(break_glass, "s3:PutBucketPolicy", bucket.arn, bucket.policy), bucket.path
        assert not as_person(engineer, "s3:PutBucketPolicy", bucket.arn, bucket.policy), bucket.path
        if bucket.path.startswith("data_lake/"):
            # ... and the administrator is outside the data perimeter
            assert not as_deployer("s3:GetObject", f"{bucket.arn}/any", bucket.policy), bucket.path


def test_eventbridge_can_use_the_logs_key_only_for_its_own_queue_and_topic(synthesized: Synthesized,
                                                                          env_name: str) -> None:
    """Evaluated on the resolved key policy: EventBridge encrypting for another queue or topic is refused."""
    from blueprint.drill.policy_eval import Request, evaluate
    from tests.resolved_policies import resolve_stack

    config = synthesized.environments[env_name].config
    stack = resolve_stack(synthesized.stack(env_name), config, env_name)
    (logs,) = [k for k in stack.keys.values() if k.path == "keys/logs/key"]
    base = f"{config.region}:{config.account_id}"
    own_queue = f"arn:aws:sqs:{base}:ztai-{env_name}-quarantine-dlq"
    own_topic = f"arn:aws:sns:{base}:ztai-{env_name}-alerts"
    for context, expected in (({"kms:EncryptionContext:aws:sqs:arn": own_queue}, True),
                              ({"kms:EncryptionContext:aws:sns:topicArn": own_topic}, True),
                              ({"kms:EncryptionContext:aws:sqs:arn": f"arn:aws:sqs:{base}:attacker-queue"}, False),
                              ({"kms:EncryptionContext:aws:sns:topicArn": f"arn:aws:sns:{base}:attacker"}, False),
                              ({}, False)):
        decision = evaluate(Request("events.amazonaws.com", "kms:GenerateDataKey", logs.arn, context),
                            identity_policies=[], resource_policies=[logs.policy or {}])
        assert decision.allowed is expected, (context, decision.reason)
