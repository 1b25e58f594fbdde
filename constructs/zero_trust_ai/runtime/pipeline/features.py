"""Feature-engineering stage: verify the signed raw manifest *before* reading, derive features, sign what it wrote.

Order: the raw manifest's signature (manifest key), kind ``raw`` and dataset are checked, then every pinned raw
version's stored SHA-256, then each pinned version is read and re-hashed; only then does the transform see a byte.
The features manifest (kind ``features``) binds the raw manifest it came from (``inputs.raw``: key, version,
SHA-256). Container command: ``python -m zero_trust_ai.runtime.pipeline.features``.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from zero_trust_ai.runtime import manifests
from zero_trust_ai.runtime.pipeline import contract, layout
from zero_trust_ai.runtime.pipeline.signed import (
    StageOutput,
    build_stage_manifest,
    default_clients,
    load_stage_manifest,
    producer,
    publish_stage_manifest,
    read_verified_artifacts,
)

STAGE = contract.STAGES["features"]

# raw artifact name (relative to raw/<dataset>/data/) -> bytes  =>  feature name -> bytes
Transform = Callable[[Mapping[str, bytes]], Mapping[str, bytes]]


@dataclass(frozen=True)
class FeatureSettings:
    dataset_id: str
    raw_bucket: str
    features_bucket: str
    manifest_key_id: str  # verifies the raw manifest and signs the features manifest
    job_id: str = ""  # default: no AWS Batch job id

    def __post_init__(self) -> None:
        layout.validate_id("dataset_id", self.dataset_id)
        if not (self.raw_bucket and self.features_bucket and self.manifest_key_id):
            raise ValueError("raw_bucket, features_bucket and manifest_key_id are required")

    @classmethod
    def from_env(cls, env: Mapping[str, str]) -> FeatureSettings:
        values = contract.require_env(env, *STAGE.required_env)
        return cls(dataset_id=values[contract.DATASET_ID], raw_bucket=values[contract.RAW_BUCKET],
                   features_bucket=values[contract.FEATURES_BUCKET],
                   manifest_key_id=values[contract.MANIFEST_SIGNING_KEY_ID], job_id=env.get(contract.BATCH_JOB_ID, ""))


def default_transform(raw: Mapping[str, bytes]) -> dict[str, bytes]:
    """Placeholder feature code: each raw file's non-empty lines, stripped (the real transform is passed in)."""
    return {f"{name}.features": b"\n".join(line.strip() for line in data.splitlines() if line.strip()) + b"\n"
            for name, data in raw.items()}


def run(s3: Any, kms: Any, settings: FeatureSettings, transform: Transform = default_transform) -> StageOutput:
    raw = load_stage_manifest(s3, kms, bucket=settings.raw_bucket, key=layout.raw_manifest_key(settings.dataset_id),
                              key_id=settings.manifest_key_id, kind="raw", subject=settings.dataset_id,
                              artifact_prefix=layout.raw_data_prefix(settings.dataset_id))
    data_prefix = layout.raw_data_prefix(settings.dataset_id)
    inputs = {key.removeprefix(data_prefix): data for key, data in read_verified_artifacts(s3, raw).items()}
    features = transform(inputs)
    if not features:
        raise ValueError("the transform produced no features")
    out_prefix = layout.features_data_prefix(settings.dataset_id)
    named = {f"{out_prefix}{layout.validate_name(name)}": data for name, data in sorted(features.items())}
    uploaded = {key: manifests.upload_artifact(s3, settings.features_bucket, key, data) for key, data in named.items()}
    body = build_stage_manifest(kind="features", subject=settings.dataset_id, artifacts=uploaded,
                                producer=producer(STAGE.name, settings.job_id), inputs={"raw": raw.ref})
    ref = publish_stage_manifest(s3, kms, bucket=settings.features_bucket,
                                 key=layout.features_manifest_key(settings.dataset_id), manifest=body,
                                 key_id=settings.manifest_key_id)
    return StageOutput(manifest=ref, artifacts=uploaded)


def main(env: Mapping[str, str] | None = None) -> None:
    settings = FeatureSettings.from_env(os.environ if env is None else env)
    s3, kms = default_clients()
    print(run(s3, kms, settings).summary())


if __name__ == "__main__":
    main()
