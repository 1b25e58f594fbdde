"""Training stage: verify the signed features manifest *before* reading, train, register the model create-only.

Order: the features manifest's signature (manifest key), kind ``features`` and dataset, then every pinned features
version's stored SHA-256, then each pinned version is read and re-hashed; only then does the trainer see a byte.
The model (``models/<model>/model.bin``) and its manifest (kind ``model``, binding the features manifest in
``inputs.features``) are written with If-None-Match: * -- a registered model is never replaced.
Container command: ``python -m zero_trust_ai.runtime.pipeline.training``.
"""

from __future__ import annotations

import json
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

STAGE = contract.STAGES["training"]

# feature name (relative to features/<dataset>/data/) -> bytes  =>  model bytes
Trainer = Callable[[Mapping[str, bytes]], bytes]


@dataclass(frozen=True)
class TrainingSettings:
    dataset_id: str
    model_id: str
    features_bucket: str
    models_bucket: str
    manifest_key_id: str  # verifies the features manifest and signs the model manifest
    job_id: str = ""  # default: no AWS Batch job id

    def __post_init__(self) -> None:
        layout.validate_id("dataset_id", self.dataset_id)
        layout.validate_id("model_id", self.model_id)
        if not (self.features_bucket and self.models_bucket and self.manifest_key_id):
            raise ValueError("features_bucket, models_bucket and manifest_key_id are required")

    @classmethod
    def from_env(cls, env: Mapping[str, str]) -> TrainingSettings:
        values = contract.require_env(env, *STAGE.required_env)
        return cls(dataset_id=values[contract.DATASET_ID], model_id=values[contract.MODEL_ID],
                   features_bucket=values[contract.FEATURES_BUCKET], models_bucket=values[contract.MODELS_BUCKET],
                   manifest_key_id=values[contract.MANIFEST_SIGNING_KEY_ID], job_id=env.get(contract.BATCH_JOB_ID, ""))


def default_trainer(features: Mapping[str, bytes]) -> bytes:
    """Placeholder training code: a deterministic "model" naming the features it saw (the real trainer is passed in)."""
    return json.dumps({"features": {name: manifests.sha256_hex(data) for name, data in sorted(features.items())}},
                      sort_keys=True).encode("utf-8")


def run(s3: Any, kms: Any, settings: TrainingSettings, trainer: Trainer = default_trainer) -> StageOutput:
    features = load_stage_manifest(
        s3, kms, bucket=settings.features_bucket, key=layout.features_manifest_key(settings.dataset_id),
        key_id=settings.manifest_key_id, kind="features", subject=settings.dataset_id,
        artifact_prefix=layout.features_data_prefix(settings.dataset_id))
    data_prefix = layout.features_data_prefix(settings.dataset_id)
    inputs = {key.removeprefix(data_prefix): data for key, data in read_verified_artifacts(s3, features).items()}
    model = trainer(inputs)
    key = layout.model_artifact_key(settings.model_id)
    artifact = manifests.upload_artifact(s3, settings.models_bucket, key, model, create_only=True)
    body = build_stage_manifest(kind="model", subject=settings.model_id, artifacts={key: artifact},
                                producer=producer(STAGE.name, settings.job_id), inputs={"features": features.ref})
    ref = publish_stage_manifest(s3, kms, bucket=settings.models_bucket,
                                 key=layout.model_manifest_key(settings.model_id), manifest=body,
                                 key_id=settings.manifest_key_id, create_only=True)
    return StageOutput(manifest=ref, artifacts={key: artifact})


def main(env: Mapping[str, str] | None = None) -> None:
    settings = TrainingSettings.from_env(os.environ if env is None else env)
    s3, kms = default_clients()
    print(run(s3, kms, settings).summary())


if __name__ == "__main__":
    main()
