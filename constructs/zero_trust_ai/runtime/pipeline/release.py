"""Release stage: the only step that makes a model servable, by signing a release manifest with the RELEASE key.

It verifies the model manifest (signature with the manifest -- training -- key, kind ``model``, model id), the model
artifact's stored SHA-256 and pinned version, and re-hashes its bytes; then it writes ``releases/<model>/manifest.json``
(kind ``release``) listing the same pinned artifacts and binding the model manifest's own key, version and SHA-256
(``inputs.model_manifest``), create-only, signed with the release key. The training role has no ``kms:Sign`` on the
release key, so it cannot release. Container command: ``python -m zero_trust_ai.runtime.pipeline.release``.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from zero_trust_ai.runtime.manifests import IntegrityError
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

STAGE = contract.STAGES["release"]


@dataclass(frozen=True)
class ReleaseSettings:
    model_id: str
    models_bucket: str
    manifest_key_id: str  # verifies the model manifest (the training jobs' key)
    release_key_id: str  # signs the release manifest; must not be the manifest key
    job_id: str = ""  # default: no AWS Batch job id

    def __post_init__(self) -> None:
        layout.validate_id("model_id", self.model_id)
        if not (self.models_bucket and self.manifest_key_id and self.release_key_id):
            raise ValueError("models_bucket, manifest_key_id and release_key_id are required")
        if self.release_key_id == self.manifest_key_id:
            raise ValueError("release_key_id must be the release-signing key, not the manifest-signing key "
                             f"{self.manifest_key_id!r}: a training job could then release its own model")

    @classmethod
    def from_env(cls, env: Mapping[str, str]) -> ReleaseSettings:
        values = contract.require_env(env, *STAGE.required_env)
        return cls(model_id=values[contract.MODEL_ID], models_bucket=values[contract.MODELS_BUCKET],
                   manifest_key_id=values[contract.MANIFEST_SIGNING_KEY_ID],
                   release_key_id=values[contract.RELEASE_SIGNING_KEY_ID], job_id=env.get(contract.BATCH_JOB_ID, ""))


def run(s3: Any, kms: Any, settings: ReleaseSettings) -> StageOutput:
    model = load_stage_manifest(s3, kms, bucket=settings.models_bucket,
                                key=layout.model_manifest_key(settings.model_id), key_id=settings.manifest_key_id,
                                kind="model", subject=settings.model_id,
                                artifact_prefix=layout.model_prefix(settings.model_id))
    if layout.model_artifact_key(settings.model_id) not in model.artifacts:
        raise IntegrityError(f"s3://{settings.models_bucket}/{model.ref.key}: does not list the model artifact "
                             f"{layout.model_artifact_key(settings.model_id)}")
    read_verified_artifacts(s3, model)  # stored SHA-256, pinned version, and the bytes re-hashed
    body = build_stage_manifest(kind="release", subject=settings.model_id, artifacts=model.artifacts,
                                producer=producer(STAGE.name, settings.job_id), inputs={"model_manifest": model.ref})
    ref = publish_stage_manifest(s3, kms, bucket=settings.models_bucket,
                                 key=layout.release_manifest_key(settings.model_id), manifest=body,
                                 key_id=settings.release_key_id, create_only=True)
    return StageOutput(manifest=ref, artifacts=model.artifacts)


def main(env: Mapping[str, str] | None = None) -> None:
    settings = ReleaseSettings.from_env(os.environ if env is None else env)
    s3, kms = default_clients()
    print(run(s3, kms, settings).summary())


if __name__ == "__main__":
    main()
