"""Step 4 training-compute invariants on every environment's synthesized JSON."""

from __future__ import annotations

import json
import re

from tests.conftest import Synthesized
from tests.tfjson import by_path, logical_id, ref, resources, statements, target


def test_batch_gpu_compute_only_in_private_training_subnets(synthesized: Synthesized, env_name: str) -> None:
    stack = synthesized.stack(env_name)
    config = synthesized.environments[env_name].config
    (environment,) = resources(stack, "aws_batch_compute_environment").values()
    assert environment["type"] == "MANAGED"
    compute = environment["compute_resources"]
    assert compute["type"] == "EC2" and compute["min_vcpus"] == 0
    assert compute["max_vcpus"] == config.training.max_vcpus
    assert compute["instance_type"] == config.training.gpu_instance_types
    training_subnets = {logical_id(stack, "aws_subnet", p) for p in by_path(stack, "aws_subnet")
                        if p.startswith("training_network/")}
    assert {ref(s)[1] for s in compute["subnets"]} == training_subnets  # type: ignore[index]
    (group,) = compute["security_group_ids"]
    assert target(stack, group)["//"]["metadata"]["path"].endswith("training_network/workload_sg")
    template = target(stack, compute["launch_template"]["launch_template_id"])
    metadata = template["metadata_options"]
    assert metadata["http_tokens"] == "required" and metadata["http_put_response_hop_limit"] == 1
    (device,) = template["block_device_mappings"]
    assert device["ebs"]["encrypted"] == "true"
    key = target(stack, device["ebs"]["kms_key_id"])
    assert key["//"]["metadata"]["path"].endswith("keys/training/key")
    assert "network_interfaces" not in template  # public IPs are impossible: subnets never assign one
    profile = target(stack, compute["instance_role"])
    assert target(stack, profile["role"].replace(".name}", ".arn}"))["name"].endswith("-training-instance")


def test_job_definition_is_unprivileged_and_logged(synthesized: Synthesized, env_name: str) -> None:
    stack = synthesized.stack(env_name)
    config = synthesized.environments[env_name].config
    # the GPU training definition; the pipeline stages' definitions: tests/test_invariants_pipeline.py
    definition = by_path(stack, "aws_batch_job_definition")["training_compute/job_definition"]
    container = json.loads(definition["container_properties"])
    assert container["privileged"] is False and container["readonlyRootFilesystem"] is True
    assert not container["user"].startswith("0") and container["user"] != "root"
    assert {r["type"] for r in container["resourceRequirements"]} == {"GPU", "VCPU", "MEMORY"}
    job_role = logical_id(stack, "aws_iam_role", "training_compute/job_role/role")
    assert container["jobRoleArn"] == f"${{aws_iam_role.{job_role}.arn}}"
    # that role writes the model registry and signs model manifests: the code it runs is pinned by digest (a tag
    # can be moved by whoever pushes it) -- the pipeline's training image
    assert container["image"] == config.training.pipeline.images.training
    assert re.fullmatch(r"[^@\s]+@sha256:[0-9a-f]{64}", container["image"]), container["image"]
    options = container["logConfiguration"]["options"]
    groups = {g["name"]: g for g in resources(stack, "aws_cloudwatch_log_group").values()}
    group = groups[options["awslogs-group"]]
    assert group["retention_in_days"] == config.logging.retention_days >= 365
    assert target(stack, group["kms_key_id"])["//"]["metadata"]["path"].endswith("keys/logs/key")
    logs_key = by_path(stack, "aws_kms_key")["keys/logs/key"]
    grants = [s for s in statements(logs_key["policy"])
              if s.get("Principal") == {"Service": f"logs.{config.region}.amazonaws.com"}]
    assert grants and all("kms:EncryptionContext:aws:logs:arn" in s["Condition"]["ArnEquals"] for s in grants)
    assert definition["timeout"]["attempt_duration_seconds"] > 0


def test_every_log_group_is_encrypted_and_retained(synthesized: Synthesized, env_name: str) -> None:
    stack = synthesized.stack(env_name)
    groups = resources(stack, "aws_cloudwatch_log_group")
    assert groups
    for group in groups.values():
        assert group["kms_key_id"] and group["retention_in_days"] >= 365
