"""The pipeline stages (ingestion -> features -> training -> release -> serving) in process against moto.

Each consumer verifies the signed manifest of what it receives before reading a byte; every refusal is an
``IntegrityError`` naming the object. Transforms/trainers here record what they were given, so a test can prove the
stage never handed unverified (or replaced) bytes to the job code.

moto notes (5.2): ``put_object`` with a ``ChecksumSHA256`` that does not match the body is *accepted* and the claimed
checksum is stored as is (AWS refuses it with BadDigest), so in moto S3's stored checksum is only what the uploader
claimed; the consumers' re-hash of the pinned bytes is what catches a lying upload here
(``test_a_lying_checksum_is_caught_by_the_rehash``). Bucket policies are not evaluated, so the registry's
"If-None-Match required" rule is not enforced by moto: the create-only writes are exercised by the request header,
and an overwrite of a registered key by a writer that omits it is simulated as a plain new version.
Deleting a specific version (``delete_object(VersionId=...)``) is supported and reads of it fail with NoSuchVersion.
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import boto3
import pytest
from botocore.exceptions import ClientError
from moto import mock_aws

from zero_trust_ai.runtime import manifests
from zero_trust_ai.runtime.manifests import Artifact, IntegrityError
from zero_trust_ai.runtime.pipeline import contract, features, ingestion, layout, release, serving, signed, training

REGION = "us-east-1"
RAW, FEATURES, MODELS = "ztai-test-raw-123456789012", "ztai-test-features-123456789012", "ztai-test-models-123456789012"
DATASET, OTHER_DATASET, MODEL, OTHER_MODEL = "churn-2024", "fraud-2024", "churn-model-1", "fraud-model-1"
RECORDS = {"a.csv": b"id,value\n1,10\n", "nested/b.csv": b"id,value\n2,20\n"}


@dataclass
class Aws:
    s3: Any
    kms: Any
    manifest_key: str
    release_key: str
    rogue_key: str

    def ingest(self, dataset: str = DATASET, records: Mapping[str, bytes] = RECORDS) -> signed.StageOutput:
        return ingestion.run(self.s3, self.kms, ingestion.IngestionSettings(
            dataset_id=dataset, raw_bucket=RAW, manifest_key_id=self.manifest_key, job_id="job-ingest"), records)

    def features_settings(self, dataset: str = DATASET) -> features.FeatureSettings:
        return features.FeatureSettings(dataset_id=dataset, raw_bucket=RAW, features_bucket=FEATURES,
                                        manifest_key_id=self.manifest_key, job_id="job-features")

    def training_settings(self, dataset: str = DATASET, model: str = MODEL) -> training.TrainingSettings:
        return training.TrainingSettings(dataset_id=dataset, model_id=model, features_bucket=FEATURES,
                                         models_bucket=MODELS, manifest_key_id=self.manifest_key, job_id="job-train")

    def release_settings(self, model: str = MODEL) -> release.ReleaseSettings:
        return release.ReleaseSettings(model_id=model, models_bucket=MODELS, manifest_key_id=self.manifest_key,
                                       release_key_id=self.release_key, job_id="job-release")

    def serving_settings(self, model: str = MODEL) -> serving.ServingSettings:
        return serving.ServingSettings(model_id=model, models_bucket=MODELS, release_key_id=self.release_key)

    def copy(self, src_bucket: str, src_key: str, dst_bucket: str, dst_key: str) -> None:
        """Replay a manifest and its signature byte for byte under another key."""
        for suffix in ("", ".sig"):
            body = self.s3.get_object(Bucket=src_bucket, Key=src_key + suffix)["Body"].read()
            manifests.upload_artifact(self.s3, dst_bucket, dst_key + suffix, body)

    def current(self, bucket: str, key: str) -> bytes:
        return bytes(self.s3.get_object(Bucket=bucket, Key=key)["Body"].read())

    def keys(self, bucket: str) -> list[str]:
        return sorted(o["Key"] for o in self.s3.list_objects_v2(Bucket=bucket).get("Contents", []))


@pytest.fixture
def aws() -> Iterator[Aws]:
    with mock_aws():
        s3 = boto3.client("s3", region_name=REGION, aws_access_key_id="t", aws_secret_access_key="t")
        kms = boto3.client("kms", region_name=REGION, aws_access_key_id="t", aws_secret_access_key="t")
        for bucket in (RAW, FEATURES, MODELS):
            s3.create_bucket(Bucket=bucket)
            s3.put_bucket_versioning(Bucket=bucket, VersioningConfiguration={"Status": "Enabled"})
        keys = [kms.create_key(KeyUsage="SIGN_VERIFY", KeySpec="ECC_NIST_P256")["KeyMetadata"]["KeyId"]
                for _ in range(3)]
        yield Aws(s3, kms, *keys)


class Recorder:
    """A transform/trainer that records what the stage handed it."""

    def __init__(self) -> None:
        self.calls: list[dict[str, bytes]] = []

    def transform(self, raw: Mapping[str, bytes]) -> dict[str, bytes]:
        self.calls.append(dict(raw))
        return features.default_transform(raw)

    def train(self, data: Mapping[str, bytes]) -> bytes:
        self.calls.append(dict(data))
        return training.default_trainer(data)


def _through_training(aws: Aws) -> signed.StageOutput:
    aws.ingest()
    features.run(aws.s3, aws.kms, aws.features_settings())
    return training.run(aws.s3, aws.kms, aws.training_settings())


def _released(aws: Aws) -> signed.StageOutput:
    _through_training(aws)
    return release.run(aws.s3, aws.kms, aws.release_settings())


def _sign_and_put(aws: Aws, bucket: str, key: str, body: bytes, key_id: str) -> None:
    signed.publish_stage_manifest(aws.s3, aws.kms, bucket=bucket, key=key, manifest=body, key_id=key_id)


# --- ingestion ---

def test_ingestion_writes_checksummed_raw_objects_and_a_signed_raw_manifest(aws: Aws) -> None:
    out = aws.ingest()
    assert sorted(out.artifacts) == ["raw/churn-2024/data/a.csv", "raw/churn-2024/data/nested/b.csv"]
    for key, artifact in out.artifacts.items():
        stored = aws.s3.get_object_attributes(Bucket=RAW, Key=key, VersionId=artifact.version_id,
                                              ObjectAttributes=["Checksum"])["Checksum"]["ChecksumSHA256"]
        assert stored == manifests._b64(manifests.sha256_hex(RECORDS[key.removeprefix("raw/churn-2024/data/")]))
    verified = signed.load_stage_manifest(aws.s3, aws.kms, bucket=RAW, key="raw/churn-2024/manifest.json",
                                          key_id=aws.manifest_key, kind="raw", subject=DATASET,
                                          artifact_prefix="raw/churn-2024/data/")
    assert verified.document["producer"] == "ingestion:job-ingest"
    assert verified.artifacts == dict(out.artifacts)
    assert verified.ref == out.manifest
    assert aws.keys(FEATURES) == [] and aws.keys(MODELS) == []  # reads/writes nothing else


def test_ingestion_refuses_a_name_that_escapes_its_prefix(aws: Aws) -> None:
    with pytest.raises(ValueError, match=r"\.\./x"):
        aws.ingest(records={"ok.csv": b"1", "../x": b"2"})
    assert aws.keys(RAW) == []  # validated before the first upload


# --- features ---

def test_features_verifies_raw_then_writes_signed_features(aws: Aws) -> None:
    raw = aws.ingest()
    recorder = Recorder()
    out = features.run(aws.s3, aws.kms, aws.features_settings(), recorder.transform)
    assert recorder.calls == [RECORDS]
    assert sorted(out.artifacts) == ["features/churn-2024/data/a.csv.features",
                                     "features/churn-2024/data/nested/b.csv.features"]
    verified = signed.load_stage_manifest(aws.s3, aws.kms, bucket=FEATURES, key="features/churn-2024/manifest.json",
                                          key_id=aws.manifest_key, kind="features", subject=DATASET,
                                          artifact_prefix="features/churn-2024/data/")
    assert verified.inputs["raw"] == raw.manifest.as_dict()  # lineage: the exact raw manifest version and hash
    assert signed.read_verified_artifacts(aws.s3, verified)["features/churn-2024/data/a.csv.features"] == \
        b"id,value\n1,10\n"


def test_features_never_reads_a_raw_object_replaced_after_signing(aws: Aws) -> None:
    aws.ingest()
    manifests.upload_artifact(aws.s3, RAW, "raw/churn-2024/data/a.csv", b"id,value\n1,999999\n")  # new version
    recorder = Recorder()
    features.run(aws.s3, aws.kms, aws.features_settings(), recorder.transform)
    assert recorder.calls == [RECORDS]  # the signed, pinned version, not the current one


def test_features_refuses_a_raw_manifest_edited_after_signing(aws: Aws) -> None:
    aws.ingest()
    document = json.loads(aws.current(RAW, "raw/churn-2024/manifest.json"))
    poisoned = manifests.upload_artifact(aws.s3, RAW, "raw/churn-2024/data/a.csv", b"poisoned")
    document["artifacts"]["raw/churn-2024/data/a.csv"] = {"sha256": poisoned.sha256, "version_id": poisoned.version_id}
    aws.s3.put_object(Bucket=RAW, Key="raw/churn-2024/manifest.json",
                      Body=json.dumps(document, sort_keys=True, separators=(",", ":")).encode())
    recorder = Recorder()
    with pytest.raises(IntegrityError, match=r"s3://ztai-test-raw-123456789012/raw/churn-2024/manifest\.json: "
                                             r"signature does not verify"):
        features.run(aws.s3, aws.kms, aws.features_settings(), recorder.transform)
    assert recorder.calls == [] and aws.keys(FEATURES) == []


@pytest.mark.parametrize("signer", ["release_key", "rogue_key"])
def test_features_refuses_a_raw_manifest_signed_by_another_key(aws: Aws, signer: str) -> None:
    out = aws.ingest()
    body = signed.build_stage_manifest(kind="raw", subject=DATASET, artifacts=out.artifacts, producer="x")
    _sign_and_put(aws, RAW, "raw/churn-2024/manifest.json", body, getattr(aws, signer))
    with pytest.raises(IntegrityError, match=rf"raw/churn-2024/manifest\.json: signature does not verify with key "
                                             rf"{aws.manifest_key}"):
        features.run(aws.s3, aws.kms, aws.features_settings())
    assert aws.keys(FEATURES) == []


def test_features_refuses_a_raw_manifest_replayed_for_another_dataset(aws: Aws) -> None:
    aws.ingest(dataset=OTHER_DATASET)
    aws.copy(RAW, "raw/fraud-2024/manifest.json", RAW, "raw/churn-2024/manifest.json")
    with pytest.raises(IntegrityError, match=r"raw/churn-2024/manifest\.json: manifest is for 'fraud-2024'.*"
                                             r"expected 'churn-2024'"):
        features.run(aws.s3, aws.kms, aws.features_settings())


def test_features_refuses_a_manifest_of_another_kind(aws: Aws) -> None:
    aws.ingest()
    features.run(aws.s3, aws.kms, aws.features_settings())  # a features manifest: same key, same dataset
    aws.copy(FEATURES, "features/churn-2024/manifest.json", RAW, "raw/churn-2024/manifest.json")
    with pytest.raises(IntegrityError, match=r"raw/churn-2024/manifest\.json: manifest kind is 'features', "
                                             r"expected 'raw'"):
        features.run(aws.s3, aws.kms, aws.features_settings())


def test_features_refuses_a_v2_manifest_without_a_kind(aws: Aws) -> None:
    """A plain v2 manifest (manifests.build_manifest) binds no stage: a stage consumer refuses it."""
    out = aws.ingest()
    plain = manifests.build_manifest(DATASET, out.artifacts, producer="etl")
    manifests.publish_manifest(aws.s3, aws.kms, RAW, "raw/churn-2024/manifest.json", plain, aws.manifest_key)
    with pytest.raises(IntegrityError, match=r"raw/churn-2024/manifest\.json: manifest kind is None"):
        features.run(aws.s3, aws.kms, aws.features_settings())


def test_features_refuses_a_missing_manifest_or_signature(aws: Aws) -> None:
    with pytest.raises(IntegrityError, match=r"s3://ztai-test-raw-123456789012/raw/churn-2024/manifest\.json: "
                                             r"manifest cannot be read \(NoSuchKey\)"):
        features.run(aws.s3, aws.kms, aws.features_settings())
    aws.ingest()
    aws.s3.delete_object(Bucket=RAW, Key="raw/churn-2024/manifest.json.sig")  # a delete marker
    with pytest.raises(IntegrityError, match=r"raw/churn-2024/manifest\.json\.sig: manifest signature cannot be "
                                             r"read \(NoSuchKey\)"):
        features.run(aws.s3, aws.kms, aws.features_settings())
    assert aws.keys(FEATURES) == []


def test_features_refuses_an_artifact_outside_the_dataset_prefix(aws: Aws) -> None:
    aws.ingest()
    other = aws.ingest(dataset=OTHER_DATASET)
    body = signed.build_stage_manifest(kind="raw", subject=DATASET, artifacts=other.artifacts, producer="x")
    _sign_and_put(aws, RAW, "raw/churn-2024/manifest.json", body, aws.manifest_key)  # a signer that lists fraud data
    with pytest.raises(IntegrityError, match=r"artifact 'raw/fraud-2024/data/a\.csv' is outside "
                                             r"'raw/churn-2024/data/'"):
        features.run(aws.s3, aws.kms, aws.features_settings())


def test_features_refuses_a_signed_checksum_that_the_pinned_version_does_not_have(aws: Aws) -> None:
    out = aws.ingest()
    forged = dict(out.artifacts)
    forged["raw/churn-2024/data/a.csv"] = Artifact(manifests.sha256_hex(b"other rows"),
                                                   out.artifacts["raw/churn-2024/data/a.csv"].version_id)
    body = signed.build_stage_manifest(kind="raw", subject=DATASET, artifacts=forged, producer="x")
    _sign_and_put(aws, RAW, "raw/churn-2024/manifest.json", body, aws.manifest_key)
    version = out.artifacts["raw/churn-2024/data/a.csv"].version_id
    with pytest.raises(IntegrityError, match=rf"raw/churn-2024/data/a\.csv \(version {version}\): SHA-256 differs "
                                             r"from the signed manifest"):
        features.run(aws.s3, aws.kms, aws.features_settings())


def test_features_refuses_an_artifact_stored_without_a_checksum(aws: Aws) -> None:
    out = aws.ingest()
    version = aws.s3.put_object(Bucket=RAW, Key="raw/churn-2024/data/a.csv", Body=RECORDS["a.csv"])["VersionId"]
    pinned = {**out.artifacts, "raw/churn-2024/data/a.csv": Artifact(manifests.sha256_hex(RECORDS["a.csv"]), version)}
    body = signed.build_stage_manifest(kind="raw", subject=DATASET, artifacts=pinned, producer="x")
    _sign_and_put(aws, RAW, "raw/churn-2024/manifest.json", body, aws.manifest_key)
    with pytest.raises(IntegrityError, match=r"raw/churn-2024/data/a\.csv .*uploaded without a SHA-256 checksum"):
        features.run(aws.s3, aws.kms, aws.features_settings())


def test_a_lying_checksum_is_caught_when_the_bytes_are_read(aws: Aws) -> None:
    """moto-only upload (AWS answers BadDigest): S3 stores the claimed checksum of other bytes, so the stored-checksum
    check passes; reading the pinned version refuses it (botocore validates the body against the stored checksum,
    and the stage re-hashes against the signed one), before the transform sees a byte."""
    out = aws.ingest()
    claimed = manifests.sha256_hex(RECORDS["a.csv"])
    version = aws.s3.put_object(Bucket=RAW, Key="raw/churn-2024/data/a.csv", Body=b"poisoned",
                                ChecksumAlgorithm="SHA256", ChecksumSHA256=manifests._b64(claimed))["VersionId"]
    pinned = {**out.artifacts, "raw/churn-2024/data/a.csv": Artifact(claimed, version)}
    body = signed.build_stage_manifest(kind="raw", subject=DATASET, artifacts=pinned, producer="x")
    _sign_and_put(aws, RAW, "raw/churn-2024/manifest.json", body, aws.manifest_key)
    recorder = Recorder()
    with pytest.raises(IntegrityError, match=rf"raw/churn-2024/data/a\.csv \(version {version}\): bytes read "
                                             r"differ from S3's stored SHA-256 checksum"):
        features.run(aws.s3, aws.kms, aws.features_settings(), recorder.transform)
    assert recorder.calls == []


def test_features_refuses_when_the_pinned_raw_version_was_deleted(aws: Aws) -> None:
    out = aws.ingest()
    version = out.artifacts["raw/churn-2024/data/a.csv"].version_id
    aws.s3.delete_object(Bucket=RAW, Key="raw/churn-2024/data/a.csv", VersionId=version)
    manifests.upload_artifact(aws.s3, RAW, "raw/churn-2024/data/a.csv", RECORDS["a.csv"])  # same bytes, new version
    with pytest.raises(IntegrityError, match=rf"raw/churn-2024/data/a\.csv \(version {version}\): pinned version "
                                             r"cannot be read \(NoSuchVersion\)"):
        features.run(aws.s3, aws.kms, aws.features_settings())


# --- training ---

def test_training_verifies_features_then_registers_a_signed_model(aws: Aws) -> None:
    aws.ingest()
    feats = features.run(aws.s3, aws.kms, aws.features_settings())
    recorder = Recorder()
    out = training.run(aws.s3, aws.kms, aws.training_settings(), recorder.train)
    assert recorder.calls == [{"a.csv.features": b"id,value\n1,10\n", "nested/b.csv.features": b"id,value\n2,20\n"}]
    assert list(out.artifacts) == ["models/churn-model-1/model.bin"]
    verified = signed.load_stage_manifest(aws.s3, aws.kms, bucket=MODELS, key="models/churn-model-1/manifest.json",
                                          key_id=aws.manifest_key, kind="model", subject=MODEL,
                                          artifact_prefix="models/churn-model-1/")
    assert verified.inputs["features"] == feats.manifest.as_dict()
    assert verified.document["producer"] == "training:job-train"


def test_training_never_overwrites_a_registered_model(aws: Aws) -> None:
    first = _through_training(aws)
    with pytest.raises(ClientError) as refused:
        training.run(aws.s3, aws.kms, aws.training_settings(), lambda _: b"another model")
    assert refused.value.response["Error"]["Code"] in ("PreconditionFailed", "412")
    assert aws.current(MODELS, "models/churn-model-1/model.bin") == training.default_trainer(
        {"a.csv.features": b"id,value\n1,10\n", "nested/b.csv.features": b"id,value\n2,20\n"})
    assert aws.s3.head_object(Bucket=MODELS, Key="models/churn-model-1/model.bin")["VersionId"] == \
        first.artifacts["models/churn-model-1/model.bin"].version_id


def test_training_uses_the_pinned_features_not_an_older_version_swapped_in(aws: Aws) -> None:
    """features re-run on new raw data; an attacker writes the *older* features bytes back as the current version:
    training reads the pinned (newer) version; with the pinned version deleted it refuses."""
    aws.ingest(records={"a.csv": b"old rows\n"})
    features.run(aws.s3, aws.kms, aws.features_settings())
    aws.ingest(records={"a.csv": b"new rows\n"})
    newer = features.run(aws.s3, aws.kms, aws.features_settings())
    key = "features/churn-2024/data/a.csv.features"
    versions = aws.s3.list_object_versions(Bucket=FEATURES, Prefix=key)["Versions"]
    older = next(v["VersionId"] for v in versions if v["VersionId"] != newer.artifacts[key].version_id)
    old_bytes = aws.s3.get_object(Bucket=FEATURES, Key=key, VersionId=older)["Body"].read()
    assert old_bytes == b"old rows\n"
    manifests.upload_artifact(aws.s3, FEATURES, key, old_bytes)  # the older bytes as a new current version
    recorder = Recorder()
    training.run(aws.s3, aws.kms, aws.training_settings(), recorder.train)
    assert recorder.calls == [{"a.csv.features": b"new rows\n"}]

    pinned = newer.artifacts[key].version_id
    aws.s3.delete_object(Bucket=FEATURES, Key=key, VersionId=pinned)
    with pytest.raises(IntegrityError, match=rf"features/churn-2024/data/a\.csv\.features \(version {pinned}\): "
                                             r"pinned version cannot be read \(NoSuchVersion\)"):
        training.run(aws.s3, aws.kms, aws.training_settings(model=OTHER_MODEL), recorder.train)
    assert len(recorder.calls) == 1 and not any(k.startswith("models/fraud-model-1/") for k in aws.keys(MODELS))


def test_training_refuses_a_features_manifest_edited_after_signing(aws: Aws) -> None:
    aws.ingest()
    features.run(aws.s3, aws.kms, aws.features_settings())
    document = json.loads(aws.current(FEATURES, "features/churn-2024/manifest.json"))
    document["producer"] = "someone else"
    aws.s3.put_object(Bucket=FEATURES, Key="features/churn-2024/manifest.json",
                      Body=json.dumps(document, sort_keys=True, separators=(",", ":")).encode())
    with pytest.raises(IntegrityError, match=r"features/churn-2024/manifest\.json: signature does not verify"):
        training.run(aws.s3, aws.kms, aws.training_settings())
    assert aws.keys(MODELS) == []


def test_training_refuses_a_features_manifest_signed_by_the_release_key(aws: Aws) -> None:
    aws.ingest()
    out = features.run(aws.s3, aws.kms, aws.features_settings())
    body = signed.build_stage_manifest(kind="features", subject=DATASET, artifacts=out.artifacts, producer="x")
    _sign_and_put(aws, FEATURES, "features/churn-2024/manifest.json", body, aws.release_key)
    with pytest.raises(IntegrityError, match=rf"features/churn-2024/manifest\.json: signature does not verify with "
                                             rf"key {aws.manifest_key}"):
        training.run(aws.s3, aws.kms, aws.training_settings())


def test_training_refuses_features_replayed_for_another_dataset_or_a_raw_manifest(aws: Aws) -> None:
    aws.ingest(dataset=OTHER_DATASET)
    features.run(aws.s3, aws.kms, aws.features_settings(dataset=OTHER_DATASET))
    aws.copy(FEATURES, "features/fraud-2024/manifest.json", FEATURES, "features/churn-2024/manifest.json")
    with pytest.raises(IntegrityError, match=r"features/churn-2024/manifest\.json: manifest is for 'fraud-2024'"):
        training.run(aws.s3, aws.kms, aws.training_settings())
    aws.ingest()
    aws.copy(RAW, "raw/churn-2024/manifest.json", FEATURES, "features/churn-2024/manifest.json")
    with pytest.raises(IntegrityError, match=r"features/churn-2024/manifest\.json: manifest kind is 'raw', "
                                             r"expected 'features'"):
        training.run(aws.s3, aws.kms, aws.training_settings())
    assert aws.keys(MODELS) == []


def test_training_refuses_a_missing_features_manifest(aws: Aws) -> None:
    aws.ingest()
    with pytest.raises(IntegrityError, match=r"s3://ztai-test-features-123456789012/features/churn-2024/"
                                             r"manifest\.json: manifest cannot be read \(NoSuchKey\)"):
        training.run(aws.s3, aws.kms, aws.training_settings())
    assert aws.keys(MODELS) == []


# --- release ---

def test_release_signs_with_the_release_key_and_binds_the_model_manifest(aws: Aws) -> None:
    model = _through_training(aws)
    out = release.run(aws.s3, aws.kms, aws.release_settings())
    assert out.manifest.key == "releases/churn-model-1/manifest.json"
    verified = signed.load_stage_manifest(aws.s3, aws.kms, bucket=MODELS, key=out.manifest.key,
                                          key_id=aws.release_key, kind="release", subject=MODEL,
                                          artifact_prefix="models/churn-model-1/")
    assert verified.inputs["model_manifest"] == model.manifest.as_dict()
    assert verified.artifacts == dict(model.artifacts)
    with pytest.raises(IntegrityError, match="signature does not verify"):  # not the training key's signature
        signed.load_stage_manifest(aws.s3, aws.kms, bucket=MODELS, key=out.manifest.key, key_id=aws.manifest_key,
                                   kind="release", subject=MODEL, artifact_prefix="models/churn-model-1/")


def test_release_settings_refuse_the_manifest_key_as_release_key(aws: Aws) -> None:
    with pytest.raises(ValueError, match="release_key_id must be the release-signing key"):
        release.ReleaseSettings(model_id=MODEL, models_bucket=MODELS, manifest_key_id=aws.manifest_key,
                                release_key_id=aws.manifest_key)


def test_release_refuses_a_model_manifest_signed_by_another_key(aws: Aws) -> None:
    model = _through_training(aws)
    body = signed.build_stage_manifest(kind="model", subject=MODEL, artifacts=model.artifacts, producer="x")
    aws.s3.delete_object(Bucket=MODELS, Key="models/churn-model-1/manifest.json")
    _sign_and_put(aws, MODELS, "models/churn-model-1/manifest.json", body, aws.rogue_key)
    with pytest.raises(IntegrityError, match=rf"models/churn-model-1/manifest\.json: signature does not verify with "
                                             rf"key {aws.manifest_key}"):
        release.run(aws.s3, aws.kms, aws.release_settings())
    assert not any(k.startswith("releases/") for k in aws.keys(MODELS))


def test_release_refuses_a_features_manifest_presented_as_a_model_manifest(aws: Aws) -> None:
    """Same signing key, so only the signed kind tells them apart."""
    aws.ingest()
    features.run(aws.s3, aws.kms, aws.features_settings(dataset=DATASET))
    aws.s3.put_object(Bucket=MODELS, Key="models/churn-model-1/model.bin", Body=b"unverified")
    aws.copy(FEATURES, "features/churn-2024/manifest.json", MODELS, "models/churn-model-1/manifest.json")
    with pytest.raises(IntegrityError, match=r"models/churn-model-1/manifest\.json: manifest kind is 'features', "
                                             r"expected 'model'"):
        release.run(aws.s3, aws.kms, aws.release_settings())


def test_release_refuses_a_model_manifest_replayed_for_another_model(aws: Aws) -> None:
    _through_training(aws)
    aws.copy(MODELS, "models/churn-model-1/manifest.json", MODELS, "models/fraud-model-1/manifest.json")
    with pytest.raises(IntegrityError, match=r"models/fraud-model-1/manifest\.json: manifest is for "
                                             r"'churn-model-1'"):
        release.run(aws.s3, aws.kms, aws.release_settings(model=OTHER_MODEL))


def test_release_refuses_when_the_pinned_model_version_is_gone(aws: Aws) -> None:
    model = _through_training(aws)
    version = model.artifacts["models/churn-model-1/model.bin"].version_id
    aws.s3.delete_object(Bucket=MODELS, Key="models/churn-model-1/model.bin", VersionId=version)
    with pytest.raises(IntegrityError, match=rf"models/churn-model-1/model\.bin \(version {version}\): pinned "
                                             r"version cannot be read"):
        release.run(aws.s3, aws.kms, aws.release_settings())


# --- serving ---

def test_serving_loads_the_released_model(aws: Aws) -> None:
    released = _released(aws)
    model = serving.load_released_model(aws.s3, aws.kms, aws.serving_settings())
    assert model.data == training.default_trainer(
        {"a.csv.features": b"id,value\n1,10\n", "nested/b.csv.features": b"id,value\n2,20\n"})
    assert model.artifact == released.artifacts["models/churn-model-1/model.bin"]
    assert model.release == released.manifest
    assert serving.run is serving.load_released_model


def test_serving_refuses_an_unsigned_model_in_the_registry(aws: Aws) -> None:
    manifests.upload_artifact(aws.s3, MODELS, "models/churn-model-1/model.bin", b"dropped in", create_only=True)
    with pytest.raises(IntegrityError, match=r"s3://ztai-test-models-123456789012/releases/churn-model-1/"
                                             r"manifest\.json: manifest cannot be read \(NoSuchKey\)"):
        serving.load_released_model(aws.s3, aws.kms, aws.serving_settings())


def test_serving_refuses_a_trained_but_unreleased_model(aws: Aws) -> None:
    _through_training(aws)
    with pytest.raises(IntegrityError, match=r"releases/churn-model-1/manifest\.json: manifest cannot be read"):
        serving.load_released_model(aws.s3, aws.kms, aws.serving_settings())


def test_serving_refuses_a_release_signed_by_the_training_key(aws: Aws) -> None:
    """The training role can sign with the manifest key and write the registry; it still cannot release."""
    model = _through_training(aws)
    body = signed.build_stage_manifest(kind="release", subject=MODEL, artifacts=model.artifacts, producer="training",
                                       inputs={"model_manifest": model.manifest})
    _sign_and_put(aws, MODELS, "releases/churn-model-1/manifest.json", body, aws.manifest_key)
    with pytest.raises(IntegrityError, match=rf"releases/churn-model-1/manifest\.json: signature does not verify "
                                             rf"with key {aws.release_key}"):
        serving.load_released_model(aws.s3, aws.kms, aws.serving_settings())


def test_serving_refuses_a_model_manifest_presented_as_a_release(aws: Aws) -> None:
    _through_training(aws)
    aws.copy(MODELS, "models/churn-model-1/manifest.json", MODELS, "releases/churn-model-1/manifest.json")
    with pytest.raises(IntegrityError, match=r"releases/churn-model-1/manifest\.json: signature does not verify"):
        serving.load_released_model(aws.s3, aws.kms, aws.serving_settings())


def test_serving_refuses_a_release_replayed_for_another_model(aws: Aws) -> None:
    _released(aws)
    aws.copy(MODELS, "releases/churn-model-1/manifest.json", MODELS, "releases/fraud-model-1/manifest.json")
    with pytest.raises(IntegrityError, match=r"releases/fraud-model-1/manifest\.json: manifest is for "
                                             r"'churn-model-1'"):
        serving.load_released_model(aws.s3, aws.kms, aws.serving_settings(model=OTHER_MODEL))


def test_serving_refuses_a_release_whose_model_manifest_hash_does_not_match(aws: Aws) -> None:
    model = _through_training(aws)
    forged = signed.ManifestRef(bucket=MODELS, key=model.manifest.key, version_id=model.manifest.version_id,
                                sha256="0" * 64)
    body = signed.build_stage_manifest(kind="release", subject=MODEL, artifacts=model.artifacts, producer="x",
                                       inputs={"model_manifest": forged})
    _sign_and_put(aws, MODELS, "releases/churn-model-1/manifest.json", body, aws.release_key)
    with pytest.raises(IntegrityError, match=rf"models/churn-model-1/manifest\.json \(version "
                                             rf"{model.manifest.version_id}\): SHA-256 differs from the one the "
                                             r"release manifest binds"):
        serving.load_released_model(aws.s3, aws.kms, aws.serving_settings())


def test_serving_refuses_a_release_that_binds_another_models_manifest(aws: Aws) -> None:
    model = _through_training(aws)
    other = training.run(aws.s3, aws.kms, aws.training_settings(model=OTHER_MODEL))
    body = signed.build_stage_manifest(kind="release", subject=MODEL, artifacts=model.artifacts, producer="x",
                                       inputs={"model_manifest": other.manifest})
    _sign_and_put(aws, MODELS, "releases/churn-model-1/manifest.json", body, aws.release_key)
    with pytest.raises(IntegrityError, match=r"releases/churn-model-1/manifest\.json: binds s3://\S+/models/"
                                             r"fraud-model-1/manifest\.json, expected \S+/models/churn-model-1/"):
        serving.load_released_model(aws.s3, aws.kms, aws.serving_settings())


def test_serving_refuses_a_release_listing_other_bytes_than_the_model_manifest(aws: Aws) -> None:
    """A release-key signature over a different model.bin version than the one training signed is refused."""
    model = _through_training(aws)
    swapped = manifests.upload_artifact(aws.s3, MODELS, "models/churn-model-1/model.bin", b"another model")
    body = signed.build_stage_manifest(kind="release", subject=MODEL, producer="x",
                                       artifacts={"models/churn-model-1/model.bin": swapped},
                                       inputs={"model_manifest": model.manifest})
    _sign_and_put(aws, MODELS, "releases/churn-model-1/manifest.json", body, aws.release_key)
    with pytest.raises(IntegrityError, match=r"releases/churn-model-1/manifest\.json: artifacts differ from the "
                                             r"model manifest"):
        serving.load_released_model(aws.s3, aws.kms, aws.serving_settings())


def test_serving_refuses_a_release_manifest_edited_after_signing(aws: Aws) -> None:
    _released(aws)
    document = json.loads(aws.current(MODELS, "releases/churn-model-1/manifest.json"))
    poisoned = manifests.upload_artifact(aws.s3, MODELS, "models/churn-model-1/model.bin", b"poisoned model")
    document["artifacts"]["models/churn-model-1/model.bin"] = {"sha256": poisoned.sha256,
                                                               "version_id": poisoned.version_id}
    aws.s3.put_object(Bucket=MODELS, Key="releases/churn-model-1/manifest.json",
                      Body=json.dumps(document, sort_keys=True, separators=(",", ":")).encode())
    with pytest.raises(IntegrityError, match=r"releases/churn-model-1/manifest\.json: signature does not verify"):
        serving.load_released_model(aws.s3, aws.kms, aws.serving_settings())


def test_serving_reads_the_pinned_model_and_refuses_when_it_is_gone(aws: Aws) -> None:
    released = _released(aws)
    # a writer that bypasses If-None-Match (moto does not evaluate the registry's bucket policy): a new version
    manifests.upload_artifact(aws.s3, MODELS, "models/churn-model-1/model.bin", b"poisoned model")
    assert serving.load_released_model(aws.s3, aws.kms, aws.serving_settings()).data != b"poisoned model"
    version = released.artifacts["models/churn-model-1/model.bin"].version_id
    aws.s3.delete_object(Bucket=MODELS, Key="models/churn-model-1/model.bin", VersionId=version)
    with pytest.raises(IntegrityError, match=rf"models/churn-model-1/model\.bin \(version {version}\): pinned "
                                             r"version cannot be read \(NoSuchVersion\)"):
        serving.load_released_model(aws.s3, aws.kms, aws.serving_settings())


# --- the contract: env names, entry points, main() ---

def _full_env(aws: Aws, tmp_path: Path) -> dict[str, str]:
    return {contract.DATASET_ID: DATASET, contract.MODEL_ID: MODEL, contract.RAW_BUCKET: RAW,
            contract.FEATURES_BUCKET: FEATURES, contract.MODELS_BUCKET: MODELS,
            contract.MANIFEST_SIGNING_KEY_ID: aws.manifest_key, contract.RELEASE_SIGNING_KEY_ID: aws.release_key,
            contract.INGEST_SOURCE_DIR: str(tmp_path / "in"), contract.MODEL_OUTPUT_PATH: str(tmp_path / "model.bin"),
            contract.BATCH_JOB_ID: "job-7"}


def test_every_stage_contract_names_an_entry_module_with_run_and_main() -> None:
    import importlib

    assert list(contract.STAGES) == ["ingestion", "features", "training", "release", "serving"]
    for stage in contract.STAGES.values():
        module = importlib.import_module(stage.entry_module)
        assert callable(module.run) and callable(module.main), stage.name
        assert stage.command == ("python", "-m", stage.entry_module)
        assert module.STAGE is stage


@pytest.mark.parametrize("stage", list(contract.STAGES))
def test_main_requires_exactly_the_contract_variables(aws: Aws, tmp_path: Path, stage: str) -> None:
    """Removing any required variable of the contract makes main() refuse, naming it (before any AWS call)."""
    import importlib

    module = importlib.import_module(contract.STAGES[stage].entry_module)
    env = _full_env(aws, tmp_path)
    for name in contract.STAGES[stage].required_env:
        partial = {k: v for k, v in env.items() if k != name}
        with pytest.raises(contract.MissingSetting, match=name):
            module.main(partial)


def test_the_whole_pipeline_runs_from_its_container_environment(aws: Aws, tmp_path: Path,
                                                                monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("AWS_DEFAULT_REGION", REGION)
    env = _full_env(aws, tmp_path)
    (tmp_path / "in" / "nested").mkdir(parents=True)
    for name, data in RECORDS.items():
        (tmp_path / "in" / name).write_bytes(data)
    for stage in ("ingestion", "features", "training", "release", "serving"):
        __import__(contract.STAGES[stage].entry_module, fromlist=["main"]).main(env)
    assert (tmp_path / "model.bin").read_bytes() == training.default_trainer(
        {"a.csv.features": b"id,value\n1,10\n", "nested/b.csv.features": b"id,value\n2,20\n"})
    verified = signed.load_stage_manifest(aws.s3, aws.kms, bucket=MODELS, key=layout.release_manifest_key(MODEL),
                                          key_id=aws.release_key, kind="release", subject=MODEL,
                                          artifact_prefix=layout.model_prefix(MODEL))
    assert verified.document["producer"] == "release:job-7"


def test_the_contract_module_does_not_import_boto3() -> None:
    import subprocess
    import sys

    code = ("import sys; import zero_trust_ai.runtime.pipeline.contract, zero_trust_ai.runtime.pipeline.layout; "
            "print(sorted(m for m in sys.modules if m.split('.')[0] in ('boto3', 'botocore')))")
    root = Path(__file__).resolve().parent.parent
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True,
                         env={"PYTHONPATH": str(root / "constructs")})
    assert out.stdout.strip() == "[]"
