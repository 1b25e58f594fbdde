"""The run-recorder Lambda handler and ``find_run_records``, in process against moto (S3 with Object Lock).

The event is the documented "Batch Job State Change" shape (AWS Batch user guide, "Job state change events": the
``detail`` resembles DescribeJobs' JobDetail), with a job that ran to SUCCEEDED.

moto notes (5.2): the log-archive bucket is created with Object Lock and a default retention; moto accepts the
recorder's put (SHA-256 checksum, no Content-MD5) as AWS does, and honours ``If-None-Match: *`` (412
PreconditionFailed). It stores the SSE-KMS key id it is given without checking the key exists.
"""

from __future__ import annotations

import copy
import json
import logging
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

import boto3
import pytest
from botocore.exceptions import ClientError
from moto import mock_aws

from zero_trust_ai.runtime import manifests
from zero_trust_ai.runtime.pipeline import contract
from zero_trust_ai.runtime.run_recorder import handler
from zero_trust_ai.runtime.run_recorder.query import RunRecordError, find_run_records

REGION, ACCOUNT = "us-east-1", "123456789012"
BUCKET = f"ztai-test-log-archive-{ACCOUNT}"
KMS_KEY = f"arn:aws:kms:{REGION}:{ACCOUNT}:key/11111111-2222-3333-4444-555555555555"
JOB_ID = "4c7599ae-0a82-49aa-ba5a-4727fcce14a8"
DIGEST = "sha256:" + "ab" * 32
IMAGE = f"{ACCOUNT}.dkr.ecr.{REGION}.amazonaws.com/ztai-training@{DIGEST}"

EVENT: dict[str, Any] = {
    "version": "0",
    "id": "c8f9c4b5-76e5-d76a-f980-7011e206042b",
    "detail-type": "Batch Job State Change",
    "source": "aws.batch",
    "account": ACCOUNT,
    "time": "2022-01-11T23:46:40Z",
    "region": REGION,
    "resources": [f"arn:aws:batch:{REGION}:{ACCOUNT}:job/{JOB_ID}"],
    "detail": {
        "jobArn": f"arn:aws:batch:{REGION}:{ACCOUNT}:job/{JOB_ID}",
        "jobName": "train-churn-model-1",
        "jobId": JOB_ID,
        "jobQueue": f"arn:aws:batch:{REGION}:{ACCOUNT}:job-queue/ztai-test-training",
        "status": "SUCCEEDED",
        "attempts": [{"container": {"exitCode": 0, "logStreamName": "ztai-training/default/abc",
                                    "taskArn": f"arn:aws:ecs:{REGION}:{ACCOUNT}:task/ztai/abc",
                                    "networkInterfaces": []},
                      "startedAt": 1641944300058, "stoppedAt": 1641944800058, "statusReason": "Essential container "
                                                                                              "in task exited"}],
        "statusReason": "Essential container in task exited",
        "createdAt": 1641944200058,
        "startedAt": 1641944300058,
        "stoppedAt": 1641944800058,
        "retryStrategy": {"attempts": 2, "evaluateOnExit": []},
        "dependsOn": [],
        "jobDefinition": f"arn:aws:batch:{REGION}:{ACCOUNT}:job-definition/ztai-test-training:3",
        "parameters": {},
        "container": {
            "image": IMAGE,
            "command": ["python", "-m", "zero_trust_ai.runtime.pipeline.training"],
            "jobRoleArn": f"arn:aws:iam::{ACCOUNT}:role/ztai-test-training-job",
            "executionRoleArn": f"arn:aws:iam::{ACCOUNT}:role/ztai-test-batch-execution",
            "volumes": [],
            "environment": [{"name": "ZTAI_DATASET_ID", "value": "churn-2024"},
                            {"name": "ZTAI_MODEL_ID", "value": "churn-model-1"}],
            "secrets": [{"name": "DB_PASSWORD", "valueFrom": f"arn:aws:ssm:{REGION}:{ACCOUNT}:parameter/db"}],
            "mountPoints": [], "ulimits": [], "networkInterfaces": [],
            "resourceRequirements": [{"value": "2", "type": "VCPU"}, {"value": "256", "type": "MEMORY"}],
        },
        "tags": {"resourceArn": f"arn:aws:batch:{REGION}:{ACCOUNT}:job/{JOB_ID}"},
        "propagateTags": False,
        "platformCapabilities": ["FARGATE"],
    },
}


@pytest.fixture
def s3(monkeypatch: pytest.MonkeyPatch) -> Iterator[Any]:
    for name, value in {"AWS_DEFAULT_REGION": REGION, "AWS_ACCESS_KEY_ID": "t", "AWS_SECRET_ACCESS_KEY": "t",
                        handler.ENV_BUCKET: BUCKET, handler.ENV_KMS_KEY_ID: KMS_KEY}.items():
        monkeypatch.setenv(name, value)
    clock = iter(datetime(2022, 1, 12, 0, 0, second, tzinfo=UTC) for second in range(60))
    monkeypatch.setattr(handler, "now", lambda: next(clock))
    with mock_aws():
        client = boto3.client("s3", region_name=REGION)
        client.create_bucket(Bucket=BUCKET, ObjectLockEnabledForBucket=True)
        client.put_object_lock_configuration(Bucket=BUCKET, ObjectLockConfiguration={
            "ObjectLockEnabled": "Enabled", "Rule": {"DefaultRetention": {"Mode": "GOVERNANCE", "Days": 1}}})
        yield client


def _versions(s3: Any) -> list[dict[str, Any]]:
    return list(s3.list_object_versions(Bucket=BUCKET).get("Versions", []))


def _event(**detail: Any) -> dict[str, Any]:
    event = copy.deepcopy(EVENT)
    event["detail"].update(detail)
    return event


def test_a_job_state_change_produces_exactly_one_record(s3: Any) -> None:
    result = handler.handle(EVENT, None)
    key = f"run-records/{JOB_ID}/SUCCEEDED.json"
    assert result["action"] == "recorded" and result["key"] == key
    assert [v["Key"] for v in _versions(s3)] == [key]
    stored = s3.get_object(Bucket=BUCKET, Key=key, ChecksumMode="ENABLED")
    body = stored["Body"].read()
    assert stored["ChecksumSHA256"] == manifests._b64(manifests.sha256_hex(body))
    assert stored["ServerSideEncryption"] == "aws:kms" and stored["SSEKMSKeyId"] == KMS_KEY
    assert stored["Metadata"]["event-id"] == EVENT["id"]
    assert stored["ObjectLockMode"] == "GOVERNANCE"  # the bucket's default retention applies to the record
    record = json.loads(body)
    assert record == {
        "record_version": 1, "recorded_by": "platform:run-recorder", "recorded_at": "2022-01-12T00:00:00.000+00:00",
        "event_id": EVENT["id"], "event_time": "2022-01-11T23:46:40Z", "account": ACCOUNT, "region": REGION,
        "job_id": JOB_ID, "job_arn": EVENT["detail"]["jobArn"], "job_name": "train-churn-model-1",
        "job_queue": EVENT["detail"]["jobQueue"], "job_definition": EVENT["detail"]["jobDefinition"],
        "status": "SUCCEEDED", "status_reason": "Essential container in task exited",
        "created_at": 1641944200058, "created_at_iso": "2022-01-11T23:36:40.058+00:00",
        "started_at": 1641944300058, "started_at_iso": "2022-01-11T23:38:20.058+00:00",
        "stopped_at": 1641944800058, "stopped_at_iso": "2022-01-11T23:46:40.058+00:00",
        "image": IMAGE, "image_pinned": True, "image_digest": DIGEST, "image_problem": None,
        "command": ["python", "-m", "zero_trust_ai.runtime.pipeline.training"],
        "environment": [{"name": "ZTAI_DATASET_ID", "value": "churn-2024"},
                        {"name": "ZTAI_MODEL_ID", "value": "churn-model-1"}],
        "secrets": [{"name": "DB_PASSWORD", "valueFrom": f"arn:aws:ssm:{REGION}:{ACCOUNT}:parameter/db"}],
        "job_role_arn": f"arn:aws:iam::{ACCOUNT}:role/ztai-test-training-job",
        "execution_role_arn": f"arn:aws:iam::{ACCOUNT}:role/ztai-test-batch-execution",
        "parameters": {},
        "attempts": [{"exit_code": 0, "reason": None, "log_stream_name": "ztai-training/default/abc",
                      "task_arn": f"arn:aws:ecs:{REGION}:{ACCOUNT}:task/ztai/abc", "started_at": 1641944300058,
                      "stopped_at": 1641944800058, "status_reason": "Essential container in task exited"}],
    }
    assert find_run_records(s3, BUCKET, JOB_ID) == [record]


def test_a_second_delivery_is_a_duplicate_and_does_not_overwrite(s3: Any, caplog: pytest.LogCaptureFixture) -> None:
    handler.handle(EVENT, None)
    first = s3.get_object(Bucket=BUCKET, Key=f"run-records/{JOB_ID}/SUCCEEDED.json")["Body"].read()
    with caplog.at_level(logging.INFO, logger="ztai.run_recorder"):
        result = handler.handle(copy.deepcopy(EVENT), None)  # the clock moved: a rewrite would change recorded_at
    assert result["action"] == "duplicate"
    assert len(_versions(s3)) == 1
    assert s3.get_object(Bucket=BUCKET, Key=f"run-records/{JOB_ID}/SUCCEEDED.json")["Body"].read() == first
    assert not [r for r in caplog.records if r.levelno >= logging.ERROR]
    assert len(find_run_records(s3, BUCKET, JOB_ID)) == 1


def test_another_event_of_the_same_status_is_kept_beside_the_first(s3: Any) -> None:
    """A retried job goes RUNNING -> RUNNABLE -> RUNNING: the second RUNNING is recorded, not dropped."""
    first = _event(status="RUNNING", stoppedAt=None)
    second = copy.deepcopy(first)
    second["id"], second["time"] = "d9f9c4b5-76e5-d76a-f980-7011e206042c", "2022-01-11T23:50:00Z"
    assert handler.handle(second, None)["key"] == f"run-records/{JOB_ID}/RUNNING.json"
    assert handler.handle(first, None)["key"] == f"run-records/{JOB_ID}/RUNNING.{first['id']}.json"
    assert handler.handle(first, None)["action"] == "duplicate"  # the re-delivery of the extra one too
    assert len(_versions(s3)) == 2
    assert [r["event_id"] for r in find_run_records(s3, BUCKET, JOB_ID)] == [first["id"], second["id"]]


@pytest.mark.parametrize("image", ["137112412989.dkr.ecr.us-east-1.amazonaws.com/amazonlinux:latest",
                                   f"{ACCOUNT}.dkr.ecr.{REGION}.amazonaws.com/ztai-training@sha256:abc",
                                   f"{ACCOUNT}.dkr.ecr.{REGION}.amazonaws.com/ztai-training@sha256:{'AB' * 32}"])
def test_an_unpinned_image_is_recorded_and_flagged(s3: Any, caplog: pytest.LogCaptureFixture, image: str) -> None:
    event = copy.deepcopy(EVENT)
    event["detail"]["container"]["image"] = image
    with caplog.at_level(logging.INFO, logger="ztai.run_recorder"):
        result = handler.handle(event, None)
    assert result["action"] == "recorded" and result["image_pinned"] is False
    record = find_run_records(s3, BUCKET, JOB_ID)[0]
    assert record["image"] == image and record["image_pinned"] is False and record["image_digest"] is None
    assert "not pinned by digest" in record["image_problem"]
    flagged = [json.loads(r.getMessage()) for r in caplog.records if r.levelno == logging.ERROR]
    assert [(f["action"], f["image"], f["job_id"]) for f in flagged] == [("image-not-pinned", image, JOB_ID)]


def test_a_tag_and_digest_reference_is_pinned() -> None:
    assert handler.image_pinning(f"repo/x:1.0@{DIGEST}") == (True, DIGEST, None)
    assert handler.image_pinning(None)[0] is False


@pytest.mark.parametrize("event", [
    {**EVENT, "source": "aws.ecs"},
    {**EVENT, "detail-type": "Batch Service Job State Change"},
    _event(jobId="../../other/job"),
    _event(status="DONE"),
    _event(createdAt="yesterday"),
    _event(container={"image": IMAGE, "command": "python -m x"}),
    {k: v for k, v in EVENT.items() if k != "detail"},
    "not an object",
])
def test_a_malformed_event_is_refused_and_nothing_is_written(s3: Any, event: Any) -> None:
    with pytest.raises(handler.MalformedEvent):
        handler.handle(event, None)
    assert _versions(s3) == []


def test_a_storage_error_is_not_swallowed(s3: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(handler.ENV_BUCKET, "ztai-test-no-such-bucket")
    with pytest.raises(ClientError) as failed:
        handler.handle(EVENT, None)
    assert failed.value.response["Error"]["Code"] == "NoSuchBucket"


def test_find_run_records_stays_inside_the_job_prefix(s3: Any) -> None:
    handler.handle(_event(jobId=f"{JOB_ID}:1"), None)  # an array child job of JOB_ID
    assert find_run_records(s3, BUCKET, JOB_ID) == []
    assert [r["job_id"] for r in find_run_records(s3, BUCKET, f"{JOB_ID}:1")] == [f"{JOB_ID}:1"]
    with pytest.raises(ValueError, match="not an AWS Batch job id"):
        find_run_records(s3, BUCKET, "../run-records")


def test_find_run_records_refuses_a_record_of_another_job(s3: Any) -> None:
    handler.handle(EVENT, None)
    body = s3.get_object(Bucket=BUCKET, Key=f"run-records/{JOB_ID}/SUCCEEDED.json")["Body"].read()
    s3.put_object(Bucket=BUCKET, Key="run-records/other-job/SUCCEEDED.json", Body=body,
                  ChecksumAlgorithm="SHA256")
    with pytest.raises(RunRecordError, match=r"run-records/other-job/SUCCEEDED\.json: record does not name job "
                                             r"other-job"):
        find_run_records(s3, BUCKET, "other-job")


def test_the_handler_uses_the_contract_names() -> None:
    assert (handler.ENV_BUCKET, handler.ENV_KMS_KEY_ID, handler.RECORD_PREFIX) == \
        (contract.RUN_RECORD_BUCKET, contract.RUN_RECORD_KMS_KEY_ID, contract.RUN_RECORD_PREFIX)


def test_the_handler_file_stands_alone() -> None:
    """Zipped alone: stdlib and boto3/botocore only, no zero_trust_ai import."""
    import ast
    from pathlib import Path

    tree = ast.parse(Path(handler.__file__).read_text(encoding="utf-8"))
    imported = {alias.name.split(".")[0] for node in ast.walk(tree) if isinstance(node, ast.Import)
                for alias in node.names}
    imported |= {node.module.split(".")[0] for node in ast.walk(tree)
                 if isinstance(node, ast.ImportFrom) and node.module}
    assert imported <= {"__future__", "base64", "hashlib", "json", "logging", "os", "re", "datetime", "typing",
                        "boto3", "botocore"}, imported
