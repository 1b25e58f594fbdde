"""Serving: load a model only when it is released -- signed by the RELEASE key -- and its bytes are the pinned ones.

:func:`load_released_model` checks, before returning a byte:

1. ``releases/<model>/manifest.json``: signature with the release key, kind ``release``, model id, artifacts under
   ``models/<model>/`` and listing ``models/<model>/model.bin``;
2. the model manifest the release binds (``inputs.model_manifest``): the bound bucket and key are this model's, the
   bound version's bytes hash to the bound SHA-256 (so it is exactly what the release step verified), and it is a
   ``model`` manifest of this model listing the same pinned artifacts as the release;
3. the model artifact: the pinned version exists, S3's stored SHA-256 equals the signed one, and the bytes re-hash.

Serving needs ``kms:Verify`` on the release key only. Container command:
``python -m zero_trust_ai.runtime.pipeline.serving`` writes the verified bytes to ``ZTAI_MODEL_OUTPUT_PATH``.
"""

from __future__ import annotations

import json
import os
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from zero_trust_ai.runtime import manifests
from zero_trust_ai.runtime.manifests import IntegrityError
from zero_trust_ai.runtime.pipeline import contract, layout
from zero_trust_ai.runtime.pipeline.signed import (
    ManifestRef,
    check_stage_document,
    default_clients,
    get_object_bytes,
    load_stage_manifest,
    read_verified_artifacts,
)

STAGE = contract.STAGES["serving"]


@dataclass(frozen=True)
class ServingSettings:
    model_id: str
    models_bucket: str
    release_key_id: str  # the release-signing key: a manifest signed by any other key is not a release

    def __post_init__(self) -> None:
        layout.validate_id("model_id", self.model_id)
        if not (self.models_bucket and self.release_key_id):
            raise ValueError("models_bucket and release_key_id are required")

    @classmethod
    def from_env(cls, env: Mapping[str, str]) -> ServingSettings:
        values = contract.require_env(env, contract.MODEL_ID, contract.MODELS_BUCKET, contract.RELEASE_SIGNING_KEY_ID)
        return cls(model_id=values[contract.MODEL_ID], models_bucket=values[contract.MODELS_BUCKET],
                   release_key_id=values[contract.RELEASE_SIGNING_KEY_ID])


@dataclass(frozen=True)
class ReleasedModel:
    model_id: str
    data: bytes
    artifact: manifests.Artifact  # the pinned version of models/<model>/model.bin and its SHA-256
    release: ManifestRef
    model_manifest: ManifestRef


def _bound_model_manifest(settings: ServingSettings, release_where: str, binding: Any) -> ManifestRef:
    expected_key = layout.model_manifest_key(settings.model_id)
    if not isinstance(binding, dict) or not all(isinstance(binding.get(f), str) and binding.get(f)
                                                for f in ("bucket", "key", "version_id", "sha256")):
        raise IntegrityError(f"{release_where}: does not bind a model manifest (inputs.model_manifest)")
    if binding["bucket"] != settings.models_bucket or binding["key"] != expected_key:
        raise IntegrityError(f"{release_where}: binds s3://{binding['bucket']}/{binding['key']}, expected "
                             f"s3://{settings.models_bucket}/{expected_key}")
    return ManifestRef(bucket=binding["bucket"], key=binding["key"], version_id=binding["version_id"],
                       sha256=binding["sha256"])


def load_released_model(s3: Any, kms: Any, settings: ServingSettings) -> ReleasedModel:
    release = load_stage_manifest(s3, kms, bucket=settings.models_bucket,
                                  key=layout.release_manifest_key(settings.model_id), key_id=settings.release_key_id,
                                  kind="release", subject=settings.model_id,
                                  artifact_prefix=layout.model_prefix(settings.model_id))
    release_where = f"s3://{settings.models_bucket}/{release.ref.key}"
    artifact_key = layout.model_artifact_key(settings.model_id)
    if artifact_key not in release.artifacts:
        raise IntegrityError(f"{release_where}: does not list the model artifact {artifact_key}")
    bound = _bound_model_manifest(settings, release_where, release.inputs.get("model_manifest"))
    model_where = f"s3://{bound.bucket}/{bound.key} (version {bound.version_id})"
    body, _ = get_object_bytes(s3, bound.bucket, bound.key, "model manifest", bound.version_id)
    if manifests.sha256_hex(body) != bound.sha256:
        raise IntegrityError(f"{model_where}: SHA-256 differs from the one the release manifest binds")
    try:
        document = json.loads(body)
    except ValueError as error:
        raise IntegrityError(f"{model_where}: model manifest is not JSON") from error
    check_stage_document(model_where, document, kind="model", subject=settings.model_id,
                         artifact_prefix=layout.model_prefix(settings.model_id))
    if document["artifacts"] != release.document["artifacts"]:
        raise IntegrityError(f"{release_where}: artifacts differ from the model manifest {model_where}")
    data = read_verified_artifacts(s3, release)[artifact_key]
    return ReleasedModel(model_id=settings.model_id, data=data, artifact=release.artifacts[artifact_key],
                         release=release.ref, model_manifest=bound)


run = load_released_model  # the stage entry point has the same shape as the others: run(s3, kms, settings)


def main(env: Mapping[str, str] | None = None) -> None:
    env = os.environ if env is None else env
    settings = ServingSettings.from_env(env)
    output = Path(contract.require_env(env, contract.MODEL_OUTPUT_PATH)[contract.MODEL_OUTPUT_PATH])
    s3, kms = default_clients()
    model = load_released_model(s3, kms, settings)
    output.write_bytes(model.data)
    print(json.dumps({"model_id": model.model_id, "sha256": model.artifact.sha256,
                      "version_id": model.artifact.version_id, "release": model.release.as_dict()}, sort_keys=True))


if __name__ == "__main__":
    main()
