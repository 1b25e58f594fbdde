"""Issue 17: the ML lifecycle's stages as workloads, on every environment's synthesized JSON.

The expected table is the seed's access table (controls.md, Steps 2-4) extended to the stages, written here from the
requirement -- who may read / write which bucket prefix, who may sign / verify with which key -- and compared with
what the synthesized identity policies and key policies grant. Plus: the stage roles' trust (ECS tasks only, with
aws:SourceAccount / aws:SourceArn), the network binding, the job definitions (image pinned by digest, the contract's
command and environment, unprivileged, logged), and the run recorder (its rule sees only this platform's queues, it
writes only run-records/, create-only).
"""

from __future__ import annotations

import json
import re
from typing import Any

from tests.conftest import Synthesized
from tests.tfjson import as_list, by_path, path_of, ref, resources, statements, target

TRAINING_VPC = "training_network/vpc"
# role construct path -> {(bucket, prefix, "read"|"write")}, signs-with keys, verifies-with keys
EXPECTED: dict[str, tuple[set[tuple[str, str, str]], set[str], set[str]]] = {
    "ml_pipeline/ingestion_role/role": ({("raw", "raw/", "write")}, {"manifest"}, set()),
    "ml_pipeline/features_role/role": ({("raw", "raw/", "read"), ("features", "features/", "write")},
                                       {"manifest"}, {"manifest"}),
    # the training stage runs on the training compute's job role (the training rows of the seed's table)
    "training_compute/job_role/role": ({("features", "features/", "read"), ("training", "training/", "read"),
                                        ("models", "models/", "write")}, {"manifest"}, {"manifest"}),
    "ml_pipeline/release_role/role": ({("models", "models/", "read"), ("models", "releases/", "write")},
                                      {"release"}, {"manifest"}),
    "inference_role/role": ({("models", "models/", "read"), ("models", "releases/", "read")}, set(), {"release"}),
}
STAGE_OF_ROLE = {"ml_pipeline/ingestion_role/role": "ingestion", "ml_pipeline/features_role/role": "features",
                 "training_compute/job_role/role": "training", "ml_pipeline/release_role/role": "release"}
KEYS = {"keys/manifest_signing/key": "manifest", "keys/release_signing/key": "release"}
S3_READ = {"s3:getobject", "s3:getobjectversion"}
S3_WRITE = {"s3:putobject"}
PINNED = re.compile(r"[^@\s]+@sha256:[0-9a-f]{64}")


def _path_of_ref(stack: dict[str, Any], expression: str) -> tuple[str, str] | None:
    """``${aws_s3_bucket.x.arn}/raw/*`` -> (``data_lake/raw/bucket``, ``raw/``)."""
    match = re.fullmatch(r"(\$\{[^}]+\})(?:/(.*)\*)?", expression)
    if not match or not ref(match.group(1)):
        return None
    return path_of(target(stack, match.group(1))), match.group(2) or ""


def _role_policy(stack: dict[str, Any], role_path: str) -> list[dict[str, Any]]:
    policy = by_path(stack, "aws_iam_role_policy")[role_path.removesuffix("role") + "policy"]
    return statements(policy["policy"])


def granted(stack: dict[str, Any], role_path: str) -> tuple[set[tuple[str, str, str]], set[str], set[str]]:
    data: set[tuple[str, str, str]] = set()
    sign: set[str] = set()
    verify: set[str] = set()
    for statement in _role_policy(stack, role_path):
        if statement["Effect"] != "Allow":
            continue
        names = {a.lower() for a in as_list(statement["Action"])}
        for resource in as_list(statement["Resource"]):
            where = _path_of_ref(stack, resource)
            if where is None:
                continue
            path, prefix = where
            if path.startswith("data_lake/") and path.endswith("/bucket") and resource.endswith("*"):
                bucket = path.split("/")[1]
                if names & S3_READ:
                    data.add((bucket, prefix, "read"))
                if names & S3_WRITE:
                    data.add((bucket, prefix, "write"))
            if path in KEYS:
                if "kms:sign" in names:
                    sign.add(KEYS[path])
                if "kms:verify" in names:
                    verify.add(KEYS[path])
    return data, sign, verify


def test_each_stage_holds_exactly_its_row_of_the_table(synthesized: Synthesized, env_name: str) -> None:
    stack = synthesized.stack(env_name)
    for role_path, expected in EXPECTED.items():
        assert granted(stack, role_path) == expected, role_path


def test_only_release_and_the_deployer_may_sign_with_the_release_key(synthesized: Synthesized, env_name: str) -> None:
    """The key policy (the resource side) names who may sign: a compromised trainer can never make a model
    servable."""
    stack = synthesized.stack(env_name)
    roles = {f"${{aws_iam_role.{lid}.arn}}": path_of(body) for lid, body in resources(stack, "aws_iam_role").items()}
    key = by_path(stack, "aws_kms_key")["keys/release_signing/key"]
    signers = {roles.get(p, p) for s in statements(key["policy"]) if s["Effect"] == "Allow"
               and "kms:Sign" in as_list(s["Action"]) for p in as_list(s.get("Principal", {}).get("AWS"))}
    assert signers == {"ml_pipeline/release_role/role", "identities/model_deployer/role"}
    manifest_key = by_path(stack, "aws_kms_key")["keys/manifest_signing/key"]
    manifest_signers = {roles.get(p, p) for s in statements(manifest_key["policy"]) if s["Effect"] == "Allow"
                        and "kms:Sign" in as_list(s["Action"]) for p in as_list(s.get("Principal", {}).get("AWS"))}
    assert "ml_pipeline/release_role/role" not in manifest_signers
    assert {"ml_pipeline/ingestion_role/role", "ml_pipeline/features_role/role",
            "training_compute/job_role/role"} <= manifest_signers


def test_stage_roles_trust_ecs_tasks_of_this_account_only(synthesized: Synthesized, env_name: str) -> None:
    stack = synthesized.stack(env_name)
    config = synthesized.environments[env_name].config
    roles = by_path(stack, "aws_iam_role")
    for role_path in STAGE_OF_ROLE:
        role = roles[role_path]
        (statement,) = json.loads(role["assume_role_policy"])["Statement"]
        assert statement["Principal"] == {"Service": "ecs-tasks.amazonaws.com"}
        assert statement["Condition"]["StringEquals"] == {"aws:SourceAccount": config.account_id}
        assert statement["Condition"]["ArnLike"] == {
            "aws:SourceArn": f"arn:aws:ecs:{config.region}:{config.account_id}:*"}
        assert role["max_session_duration"] <= 3600


def test_stage_data_access_is_bound_to_the_training_vpc(synthesized: Synthesized, env_name: str) -> None:
    stack = synthesized.stack(env_name)
    vpc = by_path(stack, "aws_vpc")[TRAINING_VPC]
    for role_path in STAGE_OF_ROLE:
        (deny,) = [s for s in _role_policy(stack, role_path) if s["Sid"] == "DataAccessOnlyFromPlatformNetworks"]
        assert deny["Effect"] == "Deny" and deny["Resource"] == "*"
        (vpc_ref,) = deny["Condition"]["StringNotEqualsIfExists"]["aws:SourceVpc"]
        assert target(stack, vpc_ref) == vpc
        assert {"s3:GetObject*", "s3:PutObject*", "kms:Decrypt", "kms:Sign"} <= set(deny["Action"])


def test_job_definitions_pin_images_and_run_the_contract(synthesized: Synthesized, env_name: str) -> None:
    from zero_trust_ai.runtime.pipeline.contract import STAGES

    stack = synthesized.stack(env_name)
    roles = by_path(stack, "aws_iam_role")
    definitions = by_path(stack, "aws_batch_job_definition")
    groups = {g["name"]: g for g in resources(stack, "aws_cloudwatch_log_group").values()}
    for role_path, stage in STAGE_OF_ROLE.items():
        definition = definitions[f"ml_pipeline/{stage}_job_definition"]
        container = json.loads(definition["container_properties"])
        assert PINNED.fullmatch(container["image"]), container["image"]
        assert container["command"] == ["python", "-m", f"zero_trust_ai.runtime.pipeline.{stage}"]
        assert target(stack, container["jobRoleArn"]) == roles[role_path]
        assert container["privileged"] is False and container["readonlyRootFilesystem"] is True
        assert not container["user"].startswith("0") and container["user"] != "root"
        group = groups[container["logConfiguration"]["options"]["awslogs-group"]]
        assert group["kms_key_id"] and group["retention_in_days"] >= 365
        names = {e["name"] for e in container["environment"]}
        per_run = {"ZTAI_DATASET_ID", "ZTAI_MODEL_ID", "ZTAI_INGEST_SOURCE_DIR"}
        assert names == set(STAGES[stage].required_env) - per_run
        assert all(e["value"] for e in container["environment"])
        assert definition["timeout"]["attempt_duration_seconds"] > 0


def test_every_pipeline_image_in_the_config_is_pinned(synthesized: Synthesized, env_name: str) -> None:
    images = synthesized.environments[env_name].config.training.pipeline.images
    for stage in ("ingestion", "features", "training", "release"):
        assert PINNED.fullmatch(getattr(images, stage))


def test_run_recorder_sees_only_this_platforms_queues(synthesized: Synthesized, env_name: str) -> None:
    stack = synthesized.stack(env_name)
    rule = by_path(stack, "aws_cloudwatch_event_rule")["run_recorder/rule_batch_job_state_change"]
    pattern = json.loads(rule["event_pattern"])
    assert pattern["source"] == ["aws.batch"] and pattern["detail-type"] == ["Batch Job State Change"]
    queues = {f"${{aws_batch_job_queue.{lid}.arn}}" for lid in resources(stack, "aws_batch_job_queue")}
    assert set(pattern["detail"]["jobQueue"]) == queues and queues
    function = by_path(stack, "aws_lambda_function")["run_recorder/function"]
    (event_target,) = [t for t in resources(stack, "aws_cloudwatch_event_target").values()
                       if path_of(t) == "run_recorder/target_batch_job_state_change"]
    assert target(stack, event_target["arn"]) == function
    variables = function["environment"]["variables"]
    assert target(stack, variables["RUN_RECORD_BUCKET"].replace(".bucket}", ".arn}")) == by_path(
        stack, "aws_s3_bucket")["log_archive/archive/bucket"]
    assert path_of(target(stack, variables["RUN_RECORD_KMS_KEY_ID"])) == "keys/logs/key"


def test_run_recorder_writes_only_run_records_create_only(synthesized: Synthesized, env_name: str) -> None:
    stack = synthesized.stack(env_name)
    archive = "log_archive/archive/bucket"
    s3_statements = [s for s in _role_policy(stack, "run_recorder/role/role") if s["Effect"] == "Allow"
                     and any(a.startswith("s3:") for a in as_list(s["Action"]))]
    writes = [s for s in s3_statements if "s3:PutObject" in as_list(s["Action"])]
    assert writes
    for statement in s3_statements:
        assert not any(a.startswith("s3:Delete") for a in as_list(statement["Action"]))
        for resource in as_list(statement["Resource"]):
            path, prefix = _path_of_ref(stack, resource) or ("?", "?")
            assert path == archive
            assert prefix == "run-records/" or ("s3:ListBucket" in as_list(statement["Action"])
                                                and statement["Condition"]["StringLike"]["s3:prefix"] ==
                                                ["run-records/*"])
    policy = by_path(stack, "aws_s3_bucket_policy")["log_archive/archive/policy"]
    (overwrite,) = [s for s in statements(policy["policy"]) if s["Sid"] == "DenyOverwritesArchiveRunRecords"]
    assert overwrite["Effect"] == "Deny" and overwrite["Principal"] == {"AWS": "*"}
    assert overwrite["Action"] == "s3:PutObject" and overwrite["Resource"].endswith("/run-records/*")
    assert overwrite["Condition"]["Null"] == {"s3:if-none-match": "true"}
    locks = [lock for lock in resources(stack, "aws_s3_bucket_object_lock_configuration").values()
             if path_of(lock).startswith("log_archive/archive/")]
    assert locks and all(lock["rule"]["default_retention"]["mode"] == "COMPLIANCE" for lock in locks)


def test_access_table_rows_of_the_stages_are_the_contract() -> None:
    """The platform's access table (data) and the stage contract (what the code reads and writes) agree."""
    from zero_trust_ai.platform import ACCESS_TABLE
    from zero_trust_ai.runtime.pipeline.contract import STAGES

    rows = {"ingestion": "pipeline_ingestion", "features": "pipeline_features", "training": "training_compute_job",
            "release": "pipeline_release", "serving": "inference"}
    for stage, row in rows.items():
        table = ACCESS_TABLE[row]
        reads = {(a.bucket, a.prefix) for a in table if a.mode in ("read", "read_write")}
        writes = {(a.bucket, a.prefix) for a in table if a.mode in ("write", "read_write")}
        assert set(STAGES[stage].reads) <= reads, stage
        assert set(STAGES[stage].writes) == writes, stage
        if stage != "training":  # the training job role also reads training/ (the seed's trainer row)
            assert set(STAGES[stage].reads) == reads, stage


def test_pipeline_images_must_be_pinned_by_digest() -> None:
    """The library refuses a tag (or a short digest) in the props, before anything is synthesized."""
    import pytest
    from pydantic import ValidationError

    from zero_trust_ai.ml_pipeline import PipelineImages

    digest = "a" * 64
    good = {stage: f"111111111111.dkr.ecr.eu-west-1.amazonaws.com/ztai-dev-pipeline-{stage}@sha256:{digest}"
            for stage in ("ingestion", "features", "training", "release")}
    assert PipelineImages(**good).training.endswith(digest)
    for bad in ("repo/features:latest", "repo/features@sha256:abc", f"repo/features@sha256:{'A' * 64}",
                f"repo/features:v1@sha512:{digest}"):
        with pytest.raises(ValidationError, match="features"):
            PipelineImages(**{**good, "features": bad})
    with pytest.raises(ValidationError, match="release"):
        PipelineImages(**{k: v for k, v in good.items() if k != "release"})


def test_the_attack_surface_map_shows_the_stages_and_the_run_records(synthesized: Synthesized, env_name: str) -> None:
    from blueprint.docs import surface

    surface_map = surface.build(env_name, synthesized.stack(env_name))
    jobs = {e.access: e for e in surface_map.edges if e.access.startswith(f"job ztai-{env_name}-pipeline-")}
    assert {e.target for e in jobs.values()} == {"role:ml_pipeline/ingestion_role", "role:ml_pipeline/features_role",
                                                 "role:training_compute/job_role", "role:ml_pipeline/release_role"}
    assert all("image pinned by digest" in e.control for e in jobs.values())
    flows = {(e.source, e.target, e.access) for e in surface_map.edges}
    assert ("role:ml_pipeline/features_role", "bucket:raw", "read raw/*") in flows
    assert ("role:ml_pipeline/features_role", "bucket:features", "write features/*") in flows
    assert ("role:ml_pipeline/release_role", "bucket:models", "write releases/*") in flows
    assert (f"function:ztai-{env_name}-run-recorder", "bucket:archive",
            "write run-records/<jobId>/<status>.json") in flows
