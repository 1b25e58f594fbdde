"""Ingestion stage: writes ``raw/<dataset>/data/*`` with S3-verified SHA-256 checksums and a signed raw manifest.

Reads nothing from the data lake. The container command is ``python -m zero_trust_ai.runtime.pipeline.ingestion``;
it uploads every regular file below ``ZTAI_INGEST_SOURCE_DIR`` (names relative to it).
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from zero_trust_ai.runtime import manifests
from zero_trust_ai.runtime.pipeline import contract, layout
from zero_trust_ai.runtime.pipeline.signed import (
    StageOutput,
    build_stage_manifest,
    default_clients,
    producer,
    publish_stage_manifest,
)

STAGE = contract.STAGES["ingestion"]


@dataclass(frozen=True)
class IngestionSettings:
    dataset_id: str
    raw_bucket: str
    manifest_key_id: str
    job_id: str = ""  # default: no AWS Batch job id (the manifest's producer is then just "ingestion")

    def __post_init__(self) -> None:
        layout.validate_id("dataset_id", self.dataset_id)
        if not self.raw_bucket or not self.manifest_key_id:
            raise ValueError("raw_bucket and manifest_key_id are required")

    @classmethod
    def from_env(cls, env: Mapping[str, str]) -> IngestionSettings:
        values = contract.require_env(env, contract.DATASET_ID, contract.RAW_BUCKET, contract.MANIFEST_SIGNING_KEY_ID)
        return cls(dataset_id=values[contract.DATASET_ID], raw_bucket=values[contract.RAW_BUCKET],
                   manifest_key_id=values[contract.MANIFEST_SIGNING_KEY_ID], job_id=env.get(contract.BATCH_JOB_ID, ""))


def run(s3: Any, kms: Any, settings: IngestionSettings, records: Mapping[str, bytes]) -> StageOutput:
    """Upload each ``records`` entry (relative name -> bytes) to ``raw/<dataset>/data/<name>`` and publish the raw
    manifest (kind ``raw``) signed with the manifest key."""
    if not records:
        raise ValueError("ingestion needs at least one record")
    prefix = layout.raw_data_prefix(settings.dataset_id)
    artifacts = {f"{prefix}{layout.validate_name(name)}": data for name, data in sorted(records.items())}
    uploaded = {key: manifests.upload_artifact(s3, settings.raw_bucket, key, data) for key, data in artifacts.items()}
    body = build_stage_manifest(kind="raw", subject=settings.dataset_id, artifacts=uploaded,
                                producer=producer(STAGE.name, settings.job_id))
    ref = publish_stage_manifest(s3, kms, bucket=settings.raw_bucket, key=layout.raw_manifest_key(settings.dataset_id),
                                 manifest=body, key_id=settings.manifest_key_id)
    return StageOutput(manifest=ref, artifacts=uploaded)


def read_source_dir(root: Path) -> dict[str, bytes]:
    """Every regular file below ``root`` (symbolic links are not followed), by its ``/``-separated relative name."""
    if not root.is_dir():
        raise ValueError(f"{contract.INGEST_SOURCE_DIR} {str(root)!r} is not a directory")
    return {path.relative_to(root).as_posix(): path.read_bytes()
            for path in sorted(root.rglob("*")) if path.is_file() and not path.is_symlink()}


def main(env: Mapping[str, str] | None = None) -> None:
    env = os.environ if env is None else env
    settings = IngestionSettings.from_env(env)
    source = Path(contract.require_env(env, contract.INGEST_SOURCE_DIR)[contract.INGEST_SOURCE_DIR])
    s3, kms = default_clients()
    print(run(s3, kms, settings, read_source_dir(source)).summary())


if __name__ == "__main__":
    main()
