"""Step 2 invariants (identity and access) and the seed's access matrix, from the synthesized policies."""

from __future__ import annotations

import fnmatch
from typing import Any

import pytest

from tests.conftest import Synthesized
from tests.tfjson import as_list, by_path, logical_id, path_of, resources, statements

PERSONAS = ("data_engineer", "model_trainer", "model_deployer", "security_auditor", "break_glass")
READ, WRITE = "s3:GetObject", "s3:PutObject"


def _personas(stack: dict[str, Any]) -> dict[str, dict[str, Any]]:
    roles = by_path(stack, "aws_iam_role")
    return {p: roles[f"identities/{p}/role"] for p in PERSONAS}


def test_every_persona_is_reached_only_through_the_identity_provider_with_a_source_identity(
        synthesized: Synthesized, env_name: str) -> None:
    """Requirement (controls.md round 2): a path AWS really supports -- SAML federation, MFA by the IdP (its session
    tag, enforced by the boundary), the person as source identity, sessions <= 1 h, boundary on."""
    stack = synthesized.stack(env_name)
    config = synthesized.environments[env_name].config
    provider = config.identity.federation.provider_arn
    for persona, role in _personas(stack).items():
        trust = {s["Sid"]: s for s in statements(role["assume_role_policy"])}
        assert set(trust) == {"PeopleThroughTheIdentityProvider", "IdentityProviderSetsSourceIdentityAndTags"}
        assume = trust["PeopleThroughTheIdentityProvider"]
        assert assume["Effect"] == "Allow" and assume["Principal"] == {"Federated": provider}
        assert assume["Action"] == "sts:AssumeRoleWithSAML"
        assert assume["Condition"] == {"StringEquals": {"SAML:aud": "https://signin.aws.amazon.com/saml"},
                                       "Null": {"sts:SourceIdentity": "false"}}
        tags = trust["IdentityProviderSetsSourceIdentityAndTags"]
        assert tags["Principal"] == {"Federated": provider}
        assert sorted(as_list(tags["Action"])) == ["sts:SetSourceIdentity", "sts:TagSession"]
        assert role["max_session_duration"] <= 3600
        boundary = "break_glass_boundary" if persona == "break_glass" else "boundary"
        assert role["permissions_boundary"].startswith(f"${{aws_iam_policy.platform_identities_{boundary}_policy")
        # no role tag may stand in for the IdP's MFA session tag
        assert config.identity.federation.mfa_session_tag not in role["tags"]
        assert role["tags"] == {"ztai:persona": persona, "ztai:kind": "human",
                                "ztai:idp-group": getattr(config.identity.personas, persona).idp_group}
    # no human role trusts an AWS principal (role sessions carry no MFA context)
    for path, body in by_path(stack, "aws_iam_role").items():
        if body.get("tags", {}).get("ztai:kind") == "human":
            assert all("AWS" not in s["Principal"] for s in statements(body["assume_role_policy"])), path


def test_the_boundary_denies_every_request_of_a_session_the_idp_did_not_mark_as_mfa(
        synthesized: Synthesized, env_name: str) -> None:
    stack = synthesized.stack(env_name)
    tag = synthesized.environments[env_name].config.identity.federation.mfa_session_tag
    boundary = by_path(stack, "aws_iam_policy")["identities/boundary/policy"]
    body = {s["Sid"]: s for s in statements(boundary["policy"])}
    mfa = body["OnlyMfaSessionsOfTheIdentityProvider"]
    assert mfa["Effect"] == "Deny" and mfa["Action"] == "*" and mfa["Resource"] == "*"
    # StringNotEquals holds for an absent tag too: no tag, no access
    assert mfa["Condition"] == {"StringNotEquals": {f"aws:PrincipalTag/{tag}": "true"}}


def test_permissions_boundary_denies_escalation_and_has_no_wildcard_allow(synthesized: Synthesized,
                                                                          env_name: str) -> None:
    stack = synthesized.stack(env_name)
    boundary = by_path(stack, "aws_iam_policy")["identities/boundary/policy"]
    body = {s["Sid"]: s for s in statements(boundary["policy"])}
    deny = body["NeverEscalateOrEscape"]
    assert deny["Effect"] == "Deny"
    for action in ("iam:CreateUser", "iam:CreateAccessKey", "iam:DeleteRolePermissionsBoundary",
                   "cloudtrail:StopLogging", "s3:PutBucketPolicy", "kms:ScheduleKeyDeletion",
                   "ec2:CreateInternetGateway"):
        assert action in deny["Action"]
    for statement in body.values():
        if statement["Effect"] == "Allow":
            assert not [a for a in as_list(statement["Action"]) if "*" in a]


def test_workload_roles_trust_one_service_with_confused_deputy_conditions(synthesized: Synthesized,
                                                                         env_name: str) -> None:
    stack = synthesized.stack(env_name)
    account = synthesized.environments[env_name].config.account_id
    workloads = {p: r for p, r in by_path(stack, "aws_iam_role").items() if not p.startswith("identities/")}
    assert workloads
    for path, role in workloads.items():
        (trust,) = statements(role["assume_role_policy"])
        services = as_list(trust["Principal"]["Service"])
        assert len(services) == 1 and "AWS" not in trust["Principal"], path
        assert role["tags"]["ztai:kind"] == "workload"
        if "ztai:trust-scope-exception" in role["tags"] and services == ["lambda.amazonaws.com"]:
            # documented exception: Lambda passes no aws:SourceArn for execution roles; the account still binds
            assert trust["Condition"] == {"StringEquals": {"aws:SourceAccount": account}}, path
            assert "Lambda sends no aws:SourceArn" in role["tags"]["ztai:trust-scope-exception"]
            continue
        if "ztai:trust-scope-exception" in role["tags"]:
            # the other documented exception: EC2 instance profiles carry no source context
            assert services == ["ec2.amazonaws.com"] and "Condition" not in trust, path
            assert "EC2 sends no aws:SourceAccount" in role["tags"]["ztai:trust-scope-exception"]
            continue
        assert trust["Condition"]["StringEquals"] == {"aws:SourceAccount": account}, path
        assert trust["Condition"]["ArnLike"]["aws:SourceArn"].split(":")[4] == account, path


def _matrix(stack: dict[str, Any]) -> dict[str, dict[str, set[str]]]:
    """role path -> bucket/prefix -> {'read', 'write'} after explicit denies (identity + bucket policies)."""
    bucket_names = {f"${{aws_s3_bucket.{logical}.arn}}": body["//"]["metadata"]["path"].split("/")[-2]
                    for logical, body in resources(stack, "aws_s3_bucket").items()}
    role_arns = {f"${{aws_iam_role.{logical}.arn}}": path_of(body).rsplit("/", 1)[0]
                 for logical, body in resources(stack, "aws_iam_role").items()}
    bucket_denies: dict[str, list[tuple[str, str]]] = {}
    for body in resources(stack, "aws_s3_bucket_policy").values():
        for s in statements(body["policy"]):
            principal = s.get("Principal", {}).get("AWS")
            if s["Effect"] == "Deny" and principal in role_arns:
                for resource in as_list(s["Resource"]):
                    bucket_denies.setdefault(role_arns[principal], []).extend(
                        (a, resource) for a in as_list(s["Action"]))
    matrix: dict[str, dict[str, set[str]]] = {}
    for path, body in by_path(stack, "aws_iam_role_policy").items():
        role = path.rsplit("/", 1)[0]
        document = statements(body["policy"])
        denies = [(a, r) for s in document if s["Effect"] == "Deny" for a in as_list(s["Action"])
                  for r in as_list(s["Resource"])] + bucket_denies.get(role, [])
        access: dict[str, set[str]] = {}
        for s in document:
            if s["Effect"] != "Allow":
                continue
            for resource in as_list(s["Resource"]):
                arn, _, prefix = resource.partition("}/")
                bucket = bucket_names.get(arn + "}")
                if bucket is None:
                    continue
                for action, kind in ((READ, "read"), (WRITE, "write")):
                    if action in as_list(s["Action"]) and not any(
                            a == action and fnmatch.fnmatchcase(resource, r) for a, r in denies):
                        access.setdefault(f"{bucket}/{prefix}", set()).add(kind)
        matrix[role] = access
    return matrix


def test_access_matrix_matches_the_seed(synthesized: Synthesized, env_name: str) -> None:
    matrix = _matrix(synthesized.stack(env_name))
    assert matrix["identities/data_engineer"] == {"raw/raw/*": {"read", "write"}, "features/features/*": {"read"}}
    assert matrix["identities/model_trainer"] == {
        "features/features/*": {"read"}, "training/training/*": {"read"}, "models/models/*": {"write"}}
    assert matrix["identities/model_deployer"] == {"models/models/*": {"read"}}
    assert matrix["identities/security_auditor"] == {"archive/*": {"read"}, "access_logs/*": {"read"}}
    assert matrix["identities/break_glass"] == {}
    for training_identity in ("training_job_role", "training_compute/job_role"):
        assert matrix[training_identity] == {
            "features/features/*": {"read"}, "training/training/*": {"read"}, "models/models/*": {"write"}}
    assert matrix["training_compute/instance_role"] == {}
    # serving loads a model through its release manifest (issue 17)
    assert matrix["inference_role"] == {"models/models/*": {"read"}, "models/releases/*": {"read"}}
    # the pipeline stages (issue 17; their keys: tests/test_invariants_pipeline.py)
    assert matrix["ml_pipeline/ingestion_role"] == {"raw/raw/*": {"write"}}
    assert matrix["ml_pipeline/features_role"] == {"raw/raw/*": {"read"}, "features/features/*": {"write"}}
    assert matrix["ml_pipeline/release_role"] == {"models/models/*": {"read"}, "models/releases/*": {"write"}}
    assert matrix["run_recorder/role"] == {"archive/run-records/*": {"read", "write"}}


def test_nobody_but_training_reads_training_data_and_nobody_reads_validation(synthesized: Synthesized,
                                                                           env_name: str) -> None:
    matrix = _matrix(synthesized.stack(env_name))
    readers = {role for role, access in matrix.items() for key, kinds in access.items()
               if key.startswith("training/") and "read" in kinds}
    assert readers == {"identities/model_trainer", "training_job_role", "training_compute/job_role"}
    assert not [role for role, access in matrix.items() if any(k.startswith("validation/") for k in access)]


def test_deployer_updates_serving_only(synthesized: Synthesized, env_name: str) -> None:
    stack = synthesized.stack(env_name)
    deployer = {s["Sid"]: s for s in statements(by_path(stack, "aws_iam_role_policy")[
        "identities/model_deployer/policy"]["policy"])}
    update = deployer["UpdateRouting"]
    # routing only: rule weights, targets, capacity (the requirement's list, not the code's)
    assert set(as_list(update["Action"])) == {"elasticloadbalancing:ModifyRule", "elasticloadbalancing:RegisterTargets",
                                             "elasticloadbalancing:DeregisterTargets", "autoscaling:SetDesiredCapacity"}
    assert all(f"ztai-{env_name}-" in r for r in update["Resource"])
    # nothing in the whole policy can change listener security or launch templates, or switch template versions
    forbidden = {"elasticloadbalancing:ModifyListener", "elasticloadbalancing:CreateListener",
                 "elasticloadbalancing:ModifyListenerAttributes", "elasticloadbalancing:ModifyTrustStore",
                 "ec2:CreateLaunchTemplateVersion", "ec2:ModifyLaunchTemplate", "ec2:CreateLaunchTemplate",
                 "autoscaling:UpdateAutoScalingGroup", "autoscaling:StartInstanceRefresh"}
    for statement in deployer.values():
        if statement["Effect"] == "Allow":
            granted = {a.lower() for a in as_list(statement["Action"])}
            assert not granted & {f.lower() for f in forbidden}, statement["Sid"]
            assert not any("*" in a for a in granted), statement["Sid"]
    assert set(deployer["InvokeEndpoints"]["Action"]) == {"sagemaker:InvokeEndpoint", "execute-api:Invoke"}


@pytest.mark.parametrize("persona", PERSONAS)
def test_trainer_may_only_pass_the_training_job_role_to_sagemaker(synthesized: Synthesized, persona: str) -> None:
    stack = synthesized.stack("prod")
    document = statements(by_path(stack, "aws_iam_role_policy")[f"identities/{persona}/policy"]["policy"])
    passes = [s for s in document if "iam:PassRole" in as_list(s["Action"])]
    if persona != "model_trainer":
        assert passes == []
        return
    (grant,) = passes
    assert grant["Condition"] == {"StringEquals": {"iam:PassedToService": "sagemaker.amazonaws.com"}}
    training_role = logical_id(stack, "aws_iam_role", "training_job_role/role")
    assert grant["Resource"] == f"${{aws_iam_role.{training_role}.arn}}"


def test_training_jobs_are_denied_outside_subnets_without_isolation_or_training_key(synthesized: Synthesized,
                                                                                   env_name: str) -> None:
    stack = synthesized.stack(env_name)
    document = {s["Sid"]: s for s in statements(by_path(stack, "aws_iam_role_policy")[
        "identities/model_trainer/policy"]["policy"])}
    subnets = by_path(stack, "aws_subnet")
    training_subnets = sorted(f"${{aws_subnet.{logical_id(stack, 'aws_subnet', p)}.id}}"
                              for p in subnets if p.startswith("training_network/"))
    key = f"${{aws_kms_key.{logical_id(stack, 'aws_kms_key', 'keys/training/key')}.arn}}"
    expected = {
        "TrainingJobsOnlyInTrainingSubnets": {
            "ForAnyValue:StringNotEquals": {"sagemaker:VpcSubnets": training_subnets}},
        "TrainingJobsMustUseAVpc": {"Null": {"sagemaker:VpcSubnets": "true"}},
        "TrainingJobsMustBeNetworkIsolated": {"BoolIfExists": {"sagemaker:NetworkIsolation": "false"}},
        "TrainingJobsMustDeclareIsolation": {"Null": {"sagemaker:NetworkIsolation": "true"}},
        "TrainingVolumesUseTheTrainingKey": {"StringNotEquals": {"sagemaker:VolumeKmsKey": key}},
        "TrainingVolumesMustBeEncrypted": {"Null": {"sagemaker:VolumeKmsKey": "true"}},
    }
    for sid, condition in expected.items():
        statement = document[sid]
        assert statement["Effect"] == "Deny" and statement["Action"] == "sagemaker:CreateTrainingJob"
        if "sagemaker:VpcSubnets" in str(condition) and "ForAnyValue" in str(condition):
            assert sorted(statement["Condition"]["ForAnyValue:StringNotEquals"]["sagemaker:VpcSubnets"]) == \
                training_subnets
        else:
            assert statement["Condition"] == condition, sid


def test_break_glass_boundary_differs_from_the_human_boundary_only_by_key_and_bucket_policy_recovery(
        synthesized: Synthesized, env_name: str) -> None:
    stack = synthesized.stack(env_name)
    policies = by_path(stack, "aws_iam_policy")
    human = {s["Sid"]: s for s in statements(policies["identities/boundary/policy"]["policy"])}
    glass = {s["Sid"]: s for s in statements(policies["identities/break_glass_boundary/policy"]["policy"])}
    assert set(human) == set(glass)
    recovered = set(as_list(human["NeverEscalateOrEscape"]["Action"])) - set(
        as_list(glass["NeverEscalateOrEscape"]["Action"]))
    assert recovered == {"kms:PutKeyPolicy", "s3:PutBucketPolicy"}
    glass_denied = set(as_list(glass["NeverEscalateOrEscape"]["Action"]))
    assert glass_denied < set(as_list(human["NeverEscalateOrEscape"]["Action"]))
    # and the MFA-session Deny is the same for both
    assert glass["OnlyMfaSessionsOfTheIdentityProvider"] == human["OnlyMfaSessionsOfTheIdentityProvider"]
    roles = by_path(stack, "aws_iam_role")
    glass_logical = logical_id(stack, "aws_iam_policy", "identities/break_glass_boundary/policy")
    glass_ref = f"${{aws_iam_policy.{glass_logical}.arn}}"
    bounded = [p for p, r in roles.items() if r.get("permissions_boundary") == glass_ref]
    assert bounded == ["identities/break_glass/role"]
