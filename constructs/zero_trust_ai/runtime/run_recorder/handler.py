"""Immutable run records of AWS Batch jobs (AWS Lambda, handler ``handler.handle``).

Trigger: the EventBridge event AWS Batch emits when a job changes state (``source`` aws.batch, ``detail-type``
"Batch Job State Change"; ``detail`` resembles the JobDetail of DescribeJobs). The platform, not the job, writes one
record per (job, status) to the log-archive bucket::

    run-records/<jobId>/<status>.json

holding the exact command, image (and whether it is pinned by digest), environment (name/value pairs as the job
definition and overrides set them; secrets only by reference), job definition, queue, job role, timestamps (epoch
milliseconds and ISO 8601), attempts (exit code, log stream, task) and the EventBridge event id and time.

Design:

* Immutable: the put carries ``If-None-Match: *`` (never replaces a record), an S3-verified SHA-256 checksum
  (``ChecksumSHA256``, signed into the request), SSE-KMS with ``RUN_RECORD_KMS_KEY_ID``; the bucket's Object Lock
  keeps the version. The event id is stored as object metadata ``event-id``.
* At-least-once delivery: when the record exists (412 Precondition Failed), its ``event-id`` is read back (HeadObject).
  The same event id is a duplicate delivery: logged, reported ``duplicate``, not an error. Another event id for the
  same job and status (a retried job runs again: RUNNING, RUNNABLE, RUNNING) is recorded beside it as
  ``<status>.<eventId>.json`` (create-only as well), so no state change is lost.
* Image pinning: an image that is not ``<repository>@sha256:<64 hex>`` is recorded with ``image_pinned`` false and
  logged at ERROR (``action`` = image-not-pinned); the record is still written (it is the evidence).
* Malformed input (another source/detail-type, a job id or status of the wrong shape, wrong field types) is logged at
  ERROR and raises ``MalformedEvent`` so the invocation fails into the DLQ.

Environment: ``RUN_RECORD_BUCKET``, ``RUN_RECORD_KMS_KEY_ID`` (also in zero_trust_ai.runtime.pipeline.contract).
Only the standard library and boto3: the file is deployed alone.
"""

from __future__ import annotations

import base64
import hashlib
import json
import logging
import os
import re
from datetime import UTC, datetime
from typing import Any

import boto3
from botocore.exceptions import ClientError

ENV_BUCKET = "RUN_RECORD_BUCKET"
ENV_KMS_KEY_ID = "RUN_RECORD_KMS_KEY_ID"
RECORD_PREFIX = "run-records/"
RECORD_VERSION = 1
SOURCE, DETAIL_TYPE = "aws.batch", "Batch Job State Change"
STATUSES = frozenset({"SUBMITTED", "PENDING", "RUNNABLE", "STARTING", "RUNNING", "SUCCEEDED", "FAILED"})
# a job id, an array child (<id>:<index>) or a multi-node node (<id>#<node>)
JOB_ID_RE = re.compile(r"[A-Za-z0-9][A-Za-z0-9_-]{0,127}(?:[:#][0-9]{1,5})?", re.ASCII)
EVENT_ID_RE = re.compile(r"[A-Za-z0-9][A-Za-z0-9-]{0,127}", re.ASCII)
PINNED_IMAGE_RE = re.compile(r"(?P<repository>[^@\s]+)@(?P<digest>sha256:[0-9a-f]{64})", re.ASCII)

LOGGER = logging.getLogger("ztai.run_recorder")
LOGGER.setLevel(logging.INFO)


class MalformedEvent(ValueError):
    """The event is not a Batch Job State Change this function accepts; the invocation fails into the DLQ."""


def now() -> datetime:
    """The clock (tests replace it)."""
    return datetime.now(UTC)


def _log(action: str, level: int = logging.INFO, **fields: Any) -> dict[str, Any]:
    entry = {"action": action, **fields}
    LOGGER.log(level, json.dumps(entry, sort_keys=True, default=str))
    return entry


def _get(obj: dict[str, Any], key: str, kind: type | tuple[type, ...], default: Any = None) -> Any:
    """``obj[key]`` when present and of ``kind`` (bool is never an int here); ``default`` when absent or null."""
    value = obj.get(key)
    if value is None:
        return default
    if not isinstance(value, kind) or isinstance(value, bool):  # no field of the event is a boolean we read
        raise MalformedEvent(f"field {key!r} has the wrong type")
    return value


def _required(obj: dict[str, Any], key: str) -> str:
    value = _get(obj, key, str)
    if not value:
        raise MalformedEvent(f"missing field {key!r}")
    return str(value)


def _iso(millis: int | None) -> str | None:
    return None if millis is None else datetime.fromtimestamp(millis / 1000, UTC).isoformat(timespec="milliseconds")


def _pairs(items: Any, field: str, value_key: str) -> list[dict[str, Any]]:
    """A list of ``{"name": ..., value_key: ...}`` (environment, secrets), kept in the event's order."""
    if items is None:
        return []
    if not isinstance(items, list) or not all(isinstance(i, dict) and isinstance(i.get("name"), str) for i in items):
        raise MalformedEvent(f"container.{field} is not a list of name/{value_key} pairs")
    pairs = []
    for item in items:
        value = item.get(value_key)
        if value is not None and not isinstance(value, str):
            raise MalformedEvent(f"container.{field} entry {item['name']!r} has a non-string {value_key}")
        pairs.append({"name": item["name"], value_key: value})
    return pairs


def _attempts(items: Any) -> list[dict[str, Any]]:
    if items is None:
        return []
    if not isinstance(items, list) or not all(isinstance(i, dict) for i in items):
        raise MalformedEvent("attempts is not a list of objects")
    found = []
    for item in items:
        container = _get(item, "container", dict, {})
        found.append({"exit_code": _get(container, "exitCode", int), "reason": _get(container, "reason", str),
                      "log_stream_name": _get(container, "logStreamName", str),
                      "task_arn": _get(container, "taskArn", str),
                      "started_at": _get(item, "startedAt", int), "stopped_at": _get(item, "stoppedAt", int),
                      "status_reason": _get(item, "statusReason", str)})
    return found


def image_pinning(image: str | None) -> tuple[bool, str | None, str | None]:
    """(pinned, digest, problem): pinned when the image reference ends in ``@sha256:<64 lowercase hex>``."""
    if not image:
        return False, None, "the event carries no container image"
    match = PINNED_IMAGE_RE.fullmatch(image)
    if match is None:
        return False, None, "image is not pinned by digest (@sha256:...): a tag can point at other bytes later"
    return True, match.group("digest"), None


def build_record(event: Any) -> dict[str, Any]:
    """The run record of one Batch Job State Change event (raises MalformedEvent on anything else)."""
    if not isinstance(event, dict):
        raise MalformedEvent("event is not a JSON object")
    if (event.get("source"), event.get("detail-type")) != (SOURCE, DETAIL_TYPE):
        raise MalformedEvent(f"unsupported source/detail-type {(event.get('source'), event.get('detail-type'))!r}")
    event_id, detail = _required(event, "id"), _get(event, "detail", dict)
    if not EVENT_ID_RE.fullmatch(event_id):
        raise MalformedEvent("event id is not an EventBridge event id")
    if detail is None:
        raise MalformedEvent("missing field 'detail'")
    job_id, status = _required(detail, "jobId"), _required(detail, "status")
    if not JOB_ID_RE.fullmatch(job_id):
        raise MalformedEvent("detail.jobId is not an AWS Batch job id")
    if status not in STATUSES:
        raise MalformedEvent(f"detail.status {status!r} is not a Batch job status")
    container = _get(detail, "container", dict, {})
    image = _get(container, "image", str)
    command = _get(container, "command", list, [])
    if not all(isinstance(part, str) for part in command):
        raise MalformedEvent("container.command is not a list of strings")
    pinned, digest, problem = image_pinning(image)
    created, started, stopped = (_get(detail, k, int) for k in ("createdAt", "startedAt", "stoppedAt"))
    return {
        "record_version": RECORD_VERSION,
        "recorded_by": "platform:run-recorder",
        "recorded_at": now().isoformat(timespec="milliseconds"),
        "event_id": event_id,
        "event_time": _get(event, "time", str),
        "account": _get(event, "account", str),
        "region": _get(event, "region", str),
        "job_id": job_id,
        "job_arn": _get(detail, "jobArn", str),
        "job_name": _get(detail, "jobName", str),
        "job_queue": _get(detail, "jobQueue", str),
        "job_definition": _get(detail, "jobDefinition", str),
        "status": status,
        "status_reason": _get(detail, "statusReason", str),
        "created_at": created, "created_at_iso": _iso(created),
        "started_at": started, "started_at_iso": _iso(started),
        "stopped_at": stopped, "stopped_at_iso": _iso(stopped),
        "image": image,
        "image_pinned": pinned,
        "image_digest": digest,
        "image_problem": problem,
        "command": list(command),
        "environment": _pairs(container.get("environment"), "environment", "value"),
        "secrets": _pairs(container.get("secrets"), "secrets", "valueFrom"),
        "job_role_arn": _get(container, "jobRoleArn", str),
        "execution_role_arn": _get(container, "executionRoleArn", str),
        "parameters": _get(detail, "parameters", dict, {}),
        "attempts": _attempts(detail.get("attempts")),
    }


def record_key(job_id: str, status: str, event_id: str | None = None) -> str:
    """``run-records/<jobId>/<status>.json``, or ``<status>.<eventId>.json`` for a later event of the same status."""
    return f"{RECORD_PREFIX}{job_id}/{status}" + (f".{event_id}" if event_id else "") + ".json"


def _code(error: ClientError) -> str:
    return str(error.response.get("Error", {}).get("Code", ""))


def _put_create_only(s3: Any, bucket: str, key: str, body: bytes, kms_key_id: str, record: dict[str, Any]) -> bool:
    """True when written; False when the key exists (412). Other errors propagate (the invocation is retried)."""
    checksum = base64.b64encode(hashlib.sha256(body).digest()).decode("ascii")
    try:
        s3.put_object(Bucket=bucket, Key=key, Body=body, ContentType="application/json", IfNoneMatch="*",
                      ChecksumAlgorithm="SHA256", ChecksumSHA256=checksum, ServerSideEncryption="aws:kms",
                      SSEKMSKeyId=kms_key_id, Metadata={"event-id": record["event_id"], "status": record["status"]})
    except ClientError as error:
        if _code(error) in ("PreconditionFailed", "412"):
            return False
        raise
    return True


def write_record(s3: Any, bucket: str, kms_key_id: str, record: dict[str, Any]) -> dict[str, Any]:
    """Write ``record`` create-only; a second delivery of the same event is reported ``duplicate``."""
    body = json.dumps(record, sort_keys=True, separators=(",", ":")).encode("utf-8")
    job_id, status, event_id = record["job_id"], record["status"], record["event_id"]
    info = {"job_id": job_id, "status": status, "event_id": event_id, "image": record["image"],
            "image_pinned": record["image_pinned"]}
    key = record_key(job_id, status)
    if _put_create_only(s3, bucket, key, body, kms_key_id, record):
        return _log("recorded", **info, key=key)
    existing = s3.head_object(Bucket=bucket, Key=key).get("Metadata", {}).get("event-id")
    if existing == event_id:
        return _log("duplicate", **info, key=key, detail="this event was already recorded")
    extra = record_key(job_id, status, event_id)  # another event of the same status (a retried job)
    if _put_create_only(s3, bucket, extra, body, kms_key_id, record):
        return _log("recorded", **info, key=extra, detail=f"{key} holds event {existing}")
    return _log("duplicate", **info, key=extra, detail="this event was already recorded")


def handle(event: Any, context: Any) -> dict[str, Any]:
    try:
        record = build_record(event)
    except MalformedEvent as error:
        _log("malformed-event", logging.ERROR, error=str(error),
             event=json.dumps(event, default=str, sort_keys=True)[:2000])
        raise
    if not record["image_pinned"]:
        _log("image-not-pinned", logging.ERROR, job_id=record["job_id"], job_name=record["job_name"],
             job_definition=record["job_definition"], image=record["image"], problem=record["image_problem"])
    bucket, kms_key_id = os.environ[ENV_BUCKET], os.environ[ENV_KMS_KEY_ID]
    return write_record(boto3.client("s3"), bucket, kms_key_id, record)
