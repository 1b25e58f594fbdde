"""Read the run records of a job (auditors, incident response): ``find_run_records(s3, bucket, job_id)``."""

from __future__ import annotations

import json
from typing import Any

from zero_trust_ai.runtime.run_recorder.handler import JOB_ID_RE, RECORD_PREFIX


class RunRecordError(ValueError):
    """A stored run record is not what the recorder writes for this job (do not trust it)."""


def find_run_records(s3: Any, bucket: str, job_id: str) -> list[dict[str, Any]]:
    """Every record under ``run-records/<job_id>/``, oldest event first. Each object is read with its SHA-256
    checksum validated (``ChecksumMode=ENABLED``) and must name ``job_id``; an unknown id raises ValueError."""
    if not JOB_ID_RE.fullmatch(job_id):
        raise ValueError(f"job id {job_id!r} is not an AWS Batch job id")
    prefix = f"{RECORD_PREFIX}{job_id}/"
    keys = [item["Key"] for page in s3.get_paginator("list_objects_v2").paginate(Bucket=bucket, Prefix=prefix)
            for item in page.get("Contents", []) if item["Key"].endswith(".json")]
    records = []
    for key in sorted(keys):
        body = s3.get_object(Bucket=bucket, Key=key, ChecksumMode="ENABLED")["Body"].read()
        try:
            record = json.loads(body)
        except ValueError as error:
            raise RunRecordError(f"s3://{bucket}/{key}: not a JSON run record") from error
        if not isinstance(record, dict) or record.get("job_id") != job_id:
            raise RunRecordError(f"s3://{bucket}/{key}: record does not name job {job_id}")
        records.append(record)
    return sorted(records, key=lambda r: (str(r.get("event_time") or ""), str(r.get("recorded_at") or "")))
