"""Stage manifests: v2 manifests (:mod:`zero_trust_ai.runtime.manifests`) that also bind what they are for.

A stage manifest is a v2 manifest whose signed canonical body additionally carries

* ``kind``: the stage that produced it (``raw``, ``features``, ``model``, ``release``),
* ``subject``: the dataset id or model id it is about (equal to the v2 ``dataset`` field),
* ``inputs``: pinned references (bucket, key, version id, SHA-256) of the manifests it was made from -- for a release,
  the model manifest's own SHA-256.

v2 readers (``manifests.load_verified_manifest``) still accept it (the extra fields are ignored); a stage consumer
refuses any manifest whose kind, subject or artifact keys are not the expected ones, so a manifest replayed for
another dataset, or a features manifest presented as a model manifest (both are signed by the same key), is refused.
Every refusal is a :class:`manifests.IntegrityError` naming the object (``s3://bucket/key``) and what failed;
S3 errors on the way (missing manifest, signature or pinned version) become refusals too.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from botocore.exceptions import ClientError, FlexibleChecksumError

from zero_trust_ai.runtime import manifests
from zero_trust_ai.runtime.manifests import Artifact, IntegrityError
from zero_trust_ai.runtime.pipeline import layout
from zero_trust_ai.runtime.pipeline.contract import KINDS, Kind


@dataclass(frozen=True)
class ManifestRef:
    """One stored manifest object, pinned: where it is, its S3 version and the SHA-256 of its bytes."""

    bucket: str
    key: str
    version_id: str
    sha256: str

    def as_dict(self) -> dict[str, str]:
        return {"bucket": self.bucket, "key": self.key, "version_id": self.version_id, "sha256": self.sha256}


@dataclass(frozen=True)
class VerifiedManifest:
    """A manifest whose signature, kind, subject and artifact keys were checked (not yet its artifacts)."""

    ref: ManifestRef
    document: Mapping[str, Any]

    @property
    def artifacts(self) -> dict[str, Artifact]:
        return {key: Artifact(entry["sha256"], entry["version_id"])
                for key, entry in self.document["artifacts"].items()}

    @property
    def inputs(self) -> Mapping[str, Any]:
        inputs = self.document.get("inputs", {})
        return inputs if isinstance(inputs, Mapping) else {}


def _canonical(body: Mapping[str, Any]) -> bytes:
    return json.dumps(body, sort_keys=True, separators=(",", ":")).encode("utf-8")


def _where(bucket: str, key: str, version_id: str | None = None) -> str:
    return f"s3://{bucket}/{key}" + (f" (version {version_id})" if version_id else "")


def _code(error: ClientError) -> str:
    return str(error.response.get("Error", {}).get("Code", "")) or "error"


def build_stage_manifest(*, kind: Kind, subject: str, artifacts: Mapping[str, Artifact], producer: str,
                         inputs: Mapping[str, ManifestRef] | None = None) -> bytes:
    """The canonical bytes to sign: ``manifests.build_manifest`` (same validation) plus kind, subject, inputs."""
    if kind not in KINDS:
        raise ValueError(f"kind {kind!r} is not one of {', '.join(KINDS)}")
    layout.validate_id("subject", subject)
    body = json.loads(manifests.build_manifest(subject, artifacts, producer=producer))
    body["kind"], body["subject"] = kind, subject
    if inputs:
        body["inputs"] = {name: ref.as_dict() for name, ref in sorted(inputs.items())}
    return _canonical(body)


def publish_stage_manifest(s3: Any, kms: Any, *, bucket: str, key: str, manifest: bytes, key_id: str,
                           create_only: bool = False) -> ManifestRef:
    """Sign (first: a signing failure writes nothing), then upload the manifest and ``<key>.sig`` with S3 SHA-256
    checksums; ``create_only`` for the model registry (If-None-Match: *)."""
    signature = manifests.sign_manifest(kms, key_id, manifest)
    stored = manifests.upload_artifact(s3, bucket, key, manifest, create_only=create_only)
    manifests.upload_artifact(s3, bucket, layout.signature_key(key), signature, create_only=create_only)
    return ManifestRef(bucket=bucket, key=key, version_id=stored.version_id, sha256=stored.sha256)


def get_object_bytes(s3: Any, bucket: str, key: str, what: str, version_id: str | None = None) -> tuple[bytes, str]:
    """(bytes, version id) of an object; a missing or unreadable object is an IntegrityError naming it."""
    extra = {"VersionId": version_id} if version_id else {}
    try:
        response = s3.get_object(Bucket=bucket, Key=key, **extra)
        return bytes(response["Body"].read()), str(response.get("VersionId") or "")
    except ClientError as error:
        raise IntegrityError(f"{_where(bucket, key, version_id)}: {what} cannot be read ({_code(error)}); "
                             "refuse to use it") from error
    except FlexibleChecksumError as error:
        raise IntegrityError(f"{_where(bucket, key, version_id)}: {what} bytes differ from S3's stored checksum "
                             f"({error})") from error


def check_stage_document(where: str, document: Any, *, kind: Kind, subject: str,
                         artifact_prefix: str) -> Mapping[str, Any]:
    """The binding checks on a (signature-verified) manifest body: version, kind, subject and artifact keys."""
    if not isinstance(document, dict):
        raise IntegrityError(f"{where}: manifest is not a JSON object")
    if document.get("version") != manifests.MANIFEST_VERSION:
        raise IntegrityError(f"{where}: unsupported manifest version {document.get('version')!r}")
    if document.get("kind") != kind:
        raise IntegrityError(f"{where}: manifest kind is {document.get('kind')!r}, expected {kind!r}; "
                             "a manifest of another stage is not accepted")
    if document.get("subject") != subject or document.get("dataset") != subject:
        raise IntegrityError(f"{where}: manifest is for {document.get('subject')!r} "
                             f"(dataset {document.get('dataset')!r}), expected {subject!r}; replayed manifest refused")
    artifacts = document.get("artifacts")
    if not isinstance(artifacts, dict) or not artifacts:
        raise IntegrityError(f"{where}: manifest lists no artifacts")
    for key, entry in artifacts.items():
        if not key.startswith(artifact_prefix):
            raise IntegrityError(f"{where}: artifact {key!r} is outside {artifact_prefix!r}")
        if not (isinstance(entry, dict) and isinstance(entry.get("sha256"), str)
                and isinstance(entry.get("version_id"), str) and entry["version_id"]):
            raise IntegrityError(f"{where}: artifact {key!r} is not pinned by SHA-256 and version id")
    return document


def load_stage_manifest(s3: Any, kms: Any, *, bucket: str, key: str, key_id: str, kind: Kind, subject: str,
                        artifact_prefix: str) -> VerifiedManifest:
    """Read ``key`` and ``<key>.sig``, verify the signature with ``key_id`` (KMS Verify, ECDSA_SHA_256), then the
    binding (:func:`check_stage_document`). Does not touch the artifacts: see :func:`read_verified_artifacts`."""
    where = _where(bucket, key)
    manifest, version_id = get_object_bytes(s3, bucket, key, "manifest")
    signature, _ = get_object_bytes(s3, bucket, layout.signature_key(key), "manifest signature")
    try:
        manifests.verify_manifest_signature(kms, key_id, manifest, signature)
    except IntegrityError as error:
        raise IntegrityError(f"{where}: signature does not verify with key {key_id}: {error}") from error
    try:
        document = json.loads(manifest)
    except ValueError as error:
        raise IntegrityError(f"{where}: manifest is not JSON") from error
    check_stage_document(where, document, kind=kind, subject=subject, artifact_prefix=artifact_prefix)
    ref = ManifestRef(bucket=bucket, key=key, version_id=version_id, sha256=manifests.sha256_hex(manifest))
    return VerifiedManifest(ref=ref, document=document)


def verify_pinned_artifacts(s3: Any, manifest: VerifiedManifest) -> None:
    """Every pinned version exists and S3's stored SHA-256 equals the signed one (``manifests.verify_artifacts``,
    one artifact at a time so a refusal names the object and version)."""
    bucket = manifest.ref.bucket
    for key, entry in sorted(manifest.document["artifacts"].items()):
        where = _where(bucket, key, entry["version_id"])
        try:
            manifests.verify_artifacts(s3, bucket, {"artifacts": {key: entry}})
        except ClientError as error:
            raise IntegrityError(f"{where}: pinned version cannot be read ({_code(error)}); refuse to use it") \
                from error
        except IntegrityError as error:
            raise IntegrityError(f"{where}: {str(error).removeprefix(f'{key}: ')}") from error


def read_verified_artifacts(s3: Any, manifest: VerifiedManifest) -> dict[str, bytes]:
    """Verify every artifact (:func:`verify_pinned_artifacts`), then read each pinned version and re-hash it against
    the signed SHA-256 (botocore >= 1.36 also checks the bytes against S3's stored checksum while reading)."""
    verify_pinned_artifacts(s3, manifest)
    bucket, found = manifest.ref.bucket, {}
    for key, entry in sorted(manifest.document["artifacts"].items()):
        where = _where(bucket, key, entry["version_id"])
        try:
            found[key] = manifests.read_verified_artifact(s3, bucket, manifest.document, key)
        except ClientError as error:
            raise IntegrityError(f"{where}: pinned version cannot be read ({_code(error)}); refuse to use it") \
                from error
        except FlexibleChecksumError as error:  # botocore validates the response against S3's stored checksum
            raise IntegrityError(f"{where}: bytes read differ from S3's stored SHA-256 checksum ({error})") from error
        except IntegrityError as error:
            raise IntegrityError(f"{where}: {str(error).removeprefix(f'{key}: ')}") from error
    return found


@dataclass(frozen=True)
class StageOutput:
    """What a producing stage wrote: its signed manifest (pinned) and the artifacts it lists."""

    manifest: ManifestRef
    artifacts: Mapping[str, Artifact]

    def summary(self) -> str:
        """One JSON line for the job's log."""
        return json.dumps({"manifest": self.manifest.as_dict(), "artifacts": sorted(self.artifacts)}, sort_keys=True)


def producer(stage: str, job_id: str) -> str:
    """``<stage>`` or ``<stage>:<AWS Batch job id>``: links a manifest to the job's run record."""
    return f"{stage}:{job_id}" if job_id else stage


def default_clients() -> tuple[Any, Any]:
    """(s3, kms) clients from the container's environment (imported here so the contract never needs boto3)."""
    import boto3

    return boto3.client("s3"), boto3.client("kms")
