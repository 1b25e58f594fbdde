"""Drill: the ML lifecycle (issue 17) against the deployed `local` environment.

The honest path -- ingest -> features -> train -> release -> serve -- runs the stages' own entry points
(``zero_trust_ai.runtime.pipeline``) in-process with a session of each stage's *deployed* role (STS AssumeRole in the
emulator) and the settings the deployed job definitions carry (bucket names, key ARNs). Then each tampering attempt
is made and the next stage must refuse it (or provably not use it). The run recorder's handler writes the run
record of every job from a Batch Job State Change event built from the deployed job definitions and queue.

Two things the emulator cannot do, and how the drill stands in for them:

* moto applies every *conditional* Deny of a bucket policy unconditionally (toolchain.md), so no object request to a
  deployed data bucket can succeed there. Each S3 and KMS request a stage makes is therefore first **authorized by
  evaluating the deployed policies** (the role's identity policies, the bucket policy, the bucket key's policy, the
  S3 gateway endpoint's policy, the signing key's policy, with the request context AWS would build: TLS, the signed
  payload hash, ``If-None-Match``, ``aws:SourceVpc`` of the stage's VPC) -- a refusal raises AccessDenied inside the
  stage, exactly where AWS would -- and then served by a drill copy of the bucket in the emulator (same versioning,
  same KMS key, no policy). Signatures are made and verified by the deployed KMS keys themselves.
* moto cannot run Lambda code or Batch containers: the stage code and the run recorder's handler run in-process.

Each verdict says which check decided it (the stage's refusal message, or the policy evaluation).
"""

from __future__ import annotations

import hashlib
import json
import types
import uuid
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from datetime import UTC, datetime
from typing import Any

from botocore.exceptions import ClientError

from blueprint.drill.policy_eval import Decision
from blueprint.verify.live import clients
from zero_trust_ai.runtime import manifests
from zero_trust_ai.runtime.manifests import IntegrityError
from zero_trust_ai.runtime.pipeline import contract, features, ingestion, layout, release, serving, signed, training

LIFECYCLE = "stage code run in-process with the deployed role's session, requests authorized by the deployed policies"
REFUSED_BY_STAGE = "refused by the next stage's manifest verification"
PINNED_READ = "the next stage read only the signed, pinned version"
RUN_RECORDER = "run-recorder handler run in-process, requests authorized by the deployed policies"
EVENTBRIDGE = "the deployed rule's pattern matched by the emulator's EventBridge matcher"
Record = Callable[..., None]
# deployed role suffix of each stage, and the network its jobs run in
STAGE_ROLES = {"ingestion": "pipeline-ingestion", "features": "pipeline-features", "training": "training-batch-job",
               "release": "pipeline-release", "serving": "inference"}
RECORDER_ROLE = "run-recorder-function"
TLS = {"aws:SecureTransport": "true", "s3:TlsVersion": "1.3", "s3:authType": "REST-HEADER",
       "s3:signatureversion": "AWS4-HMAC-SHA256"}


class Lifecycle:
    """The deployed pipeline: role sessions, stage settings from the job definitions, policy-checked clients."""

    def __init__(self, deployed: Any, endpoint: str) -> None:
        self.deployed, self.endpoint = deployed, endpoint
        self.region, self.account, self.prefix = deployed.region, deployed.account, deployed.prefix
        self.admin = clients(endpoint, self.region)
        batch = self.admin("batch")
        self.job_definitions: dict[str, dict[str, Any]] = {}
        for stage in ("ingestion", "features", "training", "release"):
            found = batch.describe_job_definitions(jobDefinitionName=f"{self.prefix}-pipeline-{stage}",
                                                   status="ACTIVE")["jobDefinitions"]
            self.job_definitions[stage] = max(found, key=lambda d: int(d["revision"]))
        (queue,) = [q for q in batch.describe_job_queues()["jobQueues"]
                    if q["jobQueueName"] == f"{self.prefix}-training"]
        self.queue_arn = str(queue["jobQueueArn"])
        self.env = {str(e["name"]): str(e["value"]) for d in self.job_definitions.values()
                    for e in d["containerProperties"].get("environment", [])}
        self.networks = {"training": deployed.s3_gateway_endpoint("training"),
                         "serving": deployed.s3_gateway_endpoint("serving")}
        self._shadows: dict[str, str] = {}
        self._key_policies: dict[str, dict[str, Any]] = {}
        self.refusals: list[str] = []  # every request the deployed policies refused, in order
        self.rogue_keys: list[str] = []  # keys the attacker created (scheduled for deletion afterwards)

    def clean_up(self) -> None:
        """Remove what the drill created beside the deployment (its bucket copies and the attacker's key), so the
        deployment's teardown leaves nothing behind."""
        s3, kms = self.admin("s3"), self.admin("kms")
        for name in self._shadows.values():
            for page in s3.get_paginator("list_object_versions").paginate(Bucket=name):
                doomed = [{"Key": v["Key"], "VersionId": v["VersionId"]}
                          for v in [*page.get("Versions", []), *page.get("DeleteMarkers", [])]]
                for start in range(0, len(doomed), 1000):
                    s3.delete_objects(Bucket=name, Delete={"Objects": doomed[start:start + 1000], "Quiet": True})
            s3.delete_bucket(Bucket=name)
        self._shadows.clear()
        for key in self.rogue_keys:
            # by key id: moto's ScheduleKeyDeletion looks an ARN up as an id (KeyError, HTTP 500)
            kms.schedule_key_deletion(KeyId=key.rsplit("/", 1)[-1], PendingWindowInDays=7)
        self.rogue_keys.clear()

    # -- the emulator's stand-in for the deployed buckets ------------------------------------------------
    def shadow(self, bucket: str) -> str:
        """A drill copy of a deployed bucket: versioned, encrypted with the deployed bucket's key, no policy."""
        if bucket not in self._shadows:
            s3 = self.admin("s3")
            name = f"ztai-drill-{hashlib.sha256(bucket.encode()).hexdigest()[:20]}"
            try:
                s3.create_bucket(Bucket=name)
            except ClientError as error:
                if error.response["Error"]["Code"] not in ("BucketAlreadyOwnedByYou", "BucketAlreadyExists"):
                    raise
            s3.put_bucket_versioning(Bucket=name, VersioningConfiguration={"Status": "Enabled"})
            s3.put_bucket_encryption(Bucket=name, ServerSideEncryptionConfiguration=s3.get_bucket_encryption(
                Bucket=bucket)["ServerSideEncryptionConfiguration"])
            self._shadows[bucket] = name
        return self._shadows[bucket]

    def _domain(self, bucket: str) -> str:
        return bucket.removeprefix(f"{self.prefix}-").removesuffix(f"-{self.account}")

    def _key_policy(self, key_id: str) -> tuple[str, dict[str, Any]]:
        kms = self.admin("kms")
        arn = str(kms.describe_key(KeyId=key_id)["KeyMetadata"]["Arn"])
        if arn not in self._key_policies:
            self._key_policies[arn] = dict(json.loads(kms.get_key_policy(KeyId=arn, PolicyName="default")["Policy"]))
        return arn, self._key_policies[arn]

    # -- policy-checked clients of a deployed role -----------------------------------------------------
    def clients_of(self, suffix: str, network: str | None) -> tuple[Any, Any]:
        """(s3, kms) with the role's STS session; every request is decided by the deployed policies first."""
        client = clients(self.endpoint, self.region, credentials=self.deployed.session(suffix))
        s3, kms = client("s3"), client("kms")
        where: dict[str, Any] = {}
        endpoint_policies: list[dict[str, Any]] = []
        if network:
            vpc_id, endpoint_id, endpoint_policy = self.networks[network]
            where = {"aws:SourceVpc": vpc_id, "aws:SourceVpce": endpoint_id}
            endpoint_policies = [endpoint_policy]

        def deny(operation: str, reason: str) -> None:
            self.refusals.append(f"{suffix} {operation}: {reason}")
            raise ClientError({"Error": {"Code": "AccessDenied", "Message": f"deployed policies: {reason}"}},
                              operation)

        def authorize_s3(params: dict[str, Any], model: Any, **_: Any) -> None:
            bucket, key = params.get("Bucket", ""), params.get("Key", "")
            operation = model.name
            versioned = bool(params.get("VersionId"))
            context: dict[str, Any] = {**TLS, **where}
            if operation == "PutObject":
                action = "s3:PutObject"
                # the platform's uploader signs the SHA-256 of the payload (manifests.upload_artifact)
                payload = hashlib.sha256(bytes(params.get("Body") or b"")).hexdigest()
                context.update({"s3:ObjectCreationOperation": "true", "s3:x-amz-content-sha256": payload})
                if params.get("IfNoneMatch"):
                    context["s3:if-none-match"] = params["IfNoneMatch"]
                if params.get("SSEKMSKeyId"):
                    context["s3:x-amz-server-side-encryption-aws-kms-key-id"] = params["SSEKMSKeyId"]
            elif operation in ("GetObject", "HeadObject"):
                action = "s3:GetObjectVersion" if versioned else "s3:GetObject"
            elif operation == "GetObjectAttributes":
                action = "s3:GetObjectVersionAttributes" if versioned else "s3:GetObjectAttributes"
            elif operation in ("ListObjectsV2", "ListObjectVersions"):
                action = "s3:ListBucket" if operation == "ListObjectsV2" else "s3:ListBucketVersions"
            else:
                deny(operation, f"the drill does not model {operation}")
                return
            if action.startswith("s3:List"):
                decision = self.deployed.decide_action(
                    suffix, action, f"arn:aws:s3:::{bucket}",
                    {**context, "s3:prefix": params.get("Prefix", ""), "aws:PrincipalAccount": self.account},
                    resource_policies=[self.deployed.bucket_policy(self._domain(bucket))])
            else:
                decision = self.deployed.decide(suffix, action, self._domain(bucket), key, context,
                                                endpoint_policies=endpoint_policies)
            if not decision.allowed:
                deny(operation, f"{action} on s3://{bucket}/{key}: {decision.reason}")
            params["Bucket"] = self.shadow(bucket)

        def authorize_kms(params: dict[str, Any], model: Any, **_: Any) -> None:
            action = f"kms:{model.name}"
            arn, policy = self._key_policy(params["KeyId"])
            decision = self.deployed.decide_action(suffix, action, arn, {**where, "kms:CallerAccount": self.account},
                                                   resource_policies=[policy])
            if not decision.allowed:
                deny(model.name, f"{action} on {arn}: {decision.reason}")

        s3.meta.events.register("provide-client-params.s3.*", authorize_s3)
        kms.meta.events.register("provide-client-params.kms.*", authorize_kms)
        return s3, kms

    def stage(self, name: str) -> tuple[Any, Any]:
        return self.clients_of(STAGE_ROLES[name], "serving" if name == "serving" else "training")

    # -- stage settings as the deployed job definitions give them ---------------------------------------
    def ingestion_settings(self, dataset: str) -> ingestion.IngestionSettings:
        return ingestion.IngestionSettings(dataset_id=dataset, raw_bucket=self.env[contract.RAW_BUCKET],
                                           manifest_key_id=self.env[contract.MANIFEST_SIGNING_KEY_ID],
                                           job_id=f"drill-ingest-{dataset}")

    def features_settings(self, dataset: str) -> features.FeatureSettings:
        return features.FeatureSettings(dataset_id=dataset, raw_bucket=self.env[contract.RAW_BUCKET],
                                        features_bucket=self.env[contract.FEATURES_BUCKET],
                                        manifest_key_id=self.env[contract.MANIFEST_SIGNING_KEY_ID],
                                        job_id=f"drill-features-{dataset}")

    def training_settings(self, dataset: str, model: str) -> training.TrainingSettings:
        return training.TrainingSettings(dataset_id=dataset, model_id=model,
                                         features_bucket=self.env[contract.FEATURES_BUCKET],
                                         models_bucket=self.env[contract.MODELS_BUCKET],
                                         manifest_key_id=self.env[contract.MANIFEST_SIGNING_KEY_ID],
                                         job_id=f"drill-train-{model}")

    def release_settings(self, model: str) -> release.ReleaseSettings:
        return release.ReleaseSettings(model_id=model, models_bucket=self.env[contract.MODELS_BUCKET],
                                       manifest_key_id=self.env[contract.MANIFEST_SIGNING_KEY_ID],
                                       release_key_id=self.env[contract.RELEASE_SIGNING_KEY_ID],
                                       job_id=f"drill-release-{model}")

    def serving_settings(self, model: str) -> serving.ServingSettings:
        return serving.ServingSettings(model_id=model, models_bucket=self.env[contract.MODELS_BUCKET],
                                       release_key_id=self.env[contract.RELEASE_SIGNING_KEY_ID])

    # -- the steps -----------------------------------------------------------------------------------
    def ingest(self, dataset: str, records: Mapping[str, bytes]) -> signed.StageOutput:
        s3, kms = self.stage("ingestion")
        return ingestion.run(s3, kms, self.ingestion_settings(dataset), records)

    def features(self, dataset: str, seen: list[dict[str, bytes]] | None = None) -> signed.StageOutput:
        s3, kms = self.stage("features")

        def transform(raw: Mapping[str, bytes]) -> dict[str, bytes]:
            if seen is not None:
                seen.append(dict(raw))
            return features.default_transform(raw)
        return features.run(s3, kms, self.features_settings(dataset), transform)

    def train(self, dataset: str, model: str, seen: list[dict[str, bytes]] | None = None) -> signed.StageOutput:
        s3, kms = self.stage("training")

        def trainer(data: Mapping[str, bytes]) -> bytes:
            if seen is not None:
                seen.append(dict(data))
            return training.default_trainer(data)
        return training.run(s3, kms, self.training_settings(dataset, model), trainer)

    def release(self, model: str) -> signed.StageOutput:
        s3, kms = self.stage("release")
        return release.run(s3, kms, self.release_settings(model))

    def serve(self, model: str) -> serving.ReleasedModel:
        s3, kms = self.stage("serving")
        return serving.load_released_model(s3, kms, self.serving_settings(model))

    def read_current(self, bucket: str, key: str) -> bytes:
        """What an attacker who can read the bucket sees (the drill copy, admin credentials)."""
        return bytes(self.admin("s3").get_object(Bucket=self.shadow(bucket), Key=key)["Body"].read())


def _attempt(run: Callable[[], str]) -> Decision:
    """ALLOW with the step's summary, or DENY with the refusal (a stage's IntegrityError or a policy's AccessDenied)."""
    try:
        return Decision(True, run())
    except IntegrityError as refused:
        return Decision(False, f"{REFUSED_BY_STAGE}: {refused}")
    except ClientError as error:
        return Decision(False, str(error.response.get("Error", {}).get("Message") or error))


def _refused(run: Callable[[], Any]) -> Decision:
    """A tampering attempt: DENY when the next stage refuses it (with the stage's message)."""
    decision = _attempt(lambda: f"the stage accepted it: {run()}")
    return decision


def _canonical(document: Mapping[str, Any]) -> bytes:
    return json.dumps(document, sort_keys=True, separators=(",", ":")).encode()


def lifecycle_attempts(deployed: Any, endpoint: str, record: Record) -> None:
    drill = Lifecycle(deployed, endpoint)
    run = uuid.uuid4().hex[:8]
    records = {"a.csv": b"id,value\n1,10\n", "b.csv": b"id,value\n2,20\n"}

    # -- the honest path, each stage with its own deployed role --------------------------------------------
    dataset, model = f"drill-{run}", f"drill-model-{run}"
    outputs: dict[str, Any] = {}
    steps: list[tuple[str, Callable[[], Any]]] = [
        ("ingestion writes raw/ with SHA-256 checksums and signs the raw manifest",
         lambda: drill.ingest(dataset, records)),
        ("features verifies the raw manifest, writes features/ and signs its manifest",
         lambda: drill.features(dataset)),
        ("training verifies the features manifest, registers the model and signs its manifest",
         lambda: drill.train(dataset, model)),
        ("release verifies the model manifest and signs the release with the release key",
         lambda: drill.release(model)),
    ]
    for stage, (attempt, step) in zip(("ingestion", "features", "training", "release"), steps, strict=True):
        def go(step: Callable[[], Any] = step, stage: str = stage) -> str:
            outputs[stage] = out = step()
            return (f"{STAGE_ROLES[stage]}: s3://{out.manifest.bucket}/{out.manifest.key} "
                    f"({len(out.artifacts)} artifacts)")
        record(f"lifecycle: {attempt}", "ALLOW", _attempt(go), LIFECYCLE)

    def serve() -> str:
        loaded = drill.serve(model)
        expected = training.default_trainer({f"{name}.features": features.default_transform({name: data})[
            f"{name}.features"] for name, data in records.items()})
        if loaded.data != expected:
            raise IntegrityError("serving loaded other bytes than training produced")
        return f"inference: model {model} ({len(loaded.data)} bytes) through release {loaded.release.key}"
    record("lifecycle: serving verifies the release (release key), then the bound model manifest, then the bytes",
           "ALLOW", _attempt(serve), LIFECYCLE)

    # -- tampering, each caught by the next stage ---------------------------------------------------------
    try:
        _tampering(drill, run, records, model, record)
    except Exception as error:  # a step that stages an attempt failed: the verdict is wrong, the drill goes on
        record("lifecycle: the tampering attempts could be staged", "ALLOW",
               Decision(False, f"{type(error).__name__}: {error}"), LIFECYCLE)
    try:
        run_record_attempts(drill, outputs, record)
    except Exception as error:
        record("lifecycle: the run-record attempts could be staged", "ALLOW",
               Decision(False, f"{type(error).__name__}: {error}"), RUN_RECORDER)
    finally:
        drill.clean_up()


def _tampering(drill: Lifecycle, run: str, records: Mapping[str, bytes], model: str, record: Record) -> None:
    raw_bucket, features_bucket = drill.env[contract.RAW_BUCKET], drill.env[contract.FEATURES_BUCKET]
    models_bucket = drill.env[contract.MODELS_BUCKET]
    # 1. a raw object replaced after signing: features reads the pinned version only
    ds = f"drill-{run}-replaced"
    drill.ingest(ds, records)
    raw_key = f"{layout.raw_data_prefix(ds)}a.csv"
    s3_ingest, _ = drill.stage("ingestion")
    manifests.upload_artifact(s3_ingest, raw_bucket, raw_key, b"id,value\n1,999999\n")  # a new current version
    seen: list[dict[str, bytes]] = []

    def replaced() -> str:
        drill.features(ds, seen)
        if seen != [records]:
            return "features used the replacement"
        raise IntegrityError(f"s3://{raw_bucket}/{raw_key}: the replacement (a new current version) never reached "
                             "the transform; features read the version the signed raw manifest pins (SHA-256 "
                             "re-checked)")
    decision = _attempt(replaced)
    record("lifecycle: a raw object changed after signing reaches feature engineering", "DENY",
           Decision(decision.allowed, decision.reason.replace(REFUSED_BY_STAGE, PINNED_READ)), LIFECYCLE)

    # 2. a features object changed after signing and the manifest re-pinned to it (not re-signed)
    ds = f"drill-{run}-edited"
    drill.ingest(ds, records)
    drill.features(ds)
    s3_features, _ = drill.stage("features")
    feature_key = f"{layout.features_data_prefix(ds)}a.csv.features"
    poisoned = manifests.upload_artifact(s3_features, features_bucket, feature_key, b"poisoned\n")
    manifest_key = layout.features_manifest_key(ds)
    document = json.loads(drill.read_current(features_bucket, manifest_key))
    document["artifacts"][feature_key] = {"sha256": poisoned.sha256, "version_id": poisoned.version_id}
    manifests.upload_artifact(s3_features, features_bucket, manifest_key, _canonical(document))
    record("lifecycle: a features object changed after signing (manifest re-pinned, not re-signed) reaches "
           "training", "DENY", _refused(lambda: drill.train(ds, f"{model}-edited")), LIFECYCLE)

    # 3. a raw manifest signed by another key (the attacker's own KMS key in the account)
    ds = f"drill-{run}-rogue"
    out = drill.ingest(ds, records)
    rogue_key = drill.admin("kms").create_key(KeyUsage="SIGN_VERIFY", KeySpec="ECC_NIST_P256",
                                              Description="drill: an attacker's signing key")["KeyMetadata"]["Arn"]
    drill.rogue_keys.append(rogue_key)
    body = signed.build_stage_manifest(kind="raw", subject=ds, artifacts=out.artifacts, producer="ingestion")
    signature = manifests.sign_manifest(drill.admin("kms"), rogue_key, body)
    manifests.upload_artifact(s3_ingest, raw_bucket, layout.raw_manifest_key(ds), body)
    manifests.upload_artifact(s3_ingest, raw_bucket, layout.signature_key(layout.raw_manifest_key(ds)), signature)
    record("lifecycle: a raw manifest signed by another key reaches feature engineering", "DENY",
           _refused(lambda: drill.features(ds)), LIFECYCLE)

    # 4. a raw manifest replayed for another dataset
    ds, other = f"drill-{run}-replay", f"drill-{run}-replay-other"
    drill.ingest(ds, records)
    drill.ingest(other, {"a.csv": b"id,value\n7,70\n"})
    for key in (layout.raw_manifest_key(other), layout.signature_key(layout.raw_manifest_key(other))):
        target = key.replace(layout.raw_prefix(other), layout.raw_prefix(ds))
        manifests.upload_artifact(s3_ingest, raw_bucket, target, drill.read_current(raw_bucket, key))
    record("lifecycle: a raw manifest replayed for another dataset reaches feature engineering", "DENY",
           _refused(lambda: drill.features(ds)), LIFECYCLE)

    # 5. an unsigned model placed in the registry (by a training job's credentials)
    rogue_model = f"{model}-unsigned"
    s3_training, _ = drill.stage("training")
    artifact = manifests.upload_artifact(s3_training, models_bucket, layout.model_artifact_key(rogue_model),
                                         b"backdoored weights", create_only=True)
    unsigned = signed.build_stage_manifest(kind="model", subject=rogue_model, producer="training",
                                           artifacts={layout.model_artifact_key(rogue_model): artifact})
    manifests.upload_artifact(s3_training, models_bucket, layout.model_manifest_key(rogue_model), unsigned,
                              create_only=True)
    record("lifecycle: an unsigned model in the registry is released", "DENY",
           _refused(lambda: drill.release(rogue_model)), LIFECYCLE)
    record("lifecycle: an unsigned model in the registry is served", "DENY",
           _refused(lambda: drill.serve(rogue_model)), LIFECYCLE)
    record("lifecycle: a training job writes a release manifest itself (releases/)", "DENY",
           _attempt(lambda: str(manifests.upload_artifact(s3_training, models_bucket,
                                                          layout.release_manifest_key(rogue_model), unsigned,
                                                          create_only=True))), LIFECYCLE)

    # 6. a features object swapped for an older version
    ds = f"drill-{run}-older"
    drill.ingest(ds, {"a.csv": b"old rows\n"})
    drill.features(ds)
    drill.ingest(ds, {"a.csv": b"new rows\n"})
    newer = drill.features(ds)
    feature_key = f"{layout.features_data_prefix(ds)}a.csv.features"
    versions = drill.admin("s3").list_object_versions(Bucket=drill.shadow(features_bucket),
                                                      Prefix=feature_key)["Versions"]
    older = next(v["VersionId"] for v in versions if v["VersionId"] != newer.artifacts[feature_key].version_id)
    old_bytes = bytes(drill.admin("s3").get_object(Bucket=drill.shadow(features_bucket), Key=feature_key,
                                                   VersionId=older)["Body"].read())
    manifests.upload_artifact(s3_features, features_bucket, feature_key, old_bytes)  # older bytes made current
    seen = []

    def swapped() -> str:
        drill.train(ds, f"{model}-older", seen)
        if seen != [{"a.csv.features": b"new rows\n"}]:
            return "training used the older features"
        raise IntegrityError(f"s3://{features_bucket}/{feature_key}: the older bytes made current never reached "
                             "the trainer; training read the version the signed features manifest pins")
    decision = _attempt(swapped)
    record("lifecycle: a features object swapped for an older version reaches training", "DENY",
           Decision(decision.allowed, decision.reason.replace(REFUSED_BY_STAGE, PINNED_READ)), LIFECYCLE)
    document = json.loads(drill.read_current(features_bucket, layout.features_manifest_key(ds)))
    document["artifacts"][feature_key] = {"sha256": hashlib.sha256(old_bytes).hexdigest(), "version_id": older}
    manifests.upload_artifact(s3_features, features_bucket, layout.features_manifest_key(ds), _canonical(document))
    record("lifecycle: the features manifest re-pinned to the older version (not re-signed) reaches training",
           "DENY", _refused(lambda: drill.train(ds, f"{model}-older-pinned")), LIFECYCLE)



def _event(drill: Lifecycle, stage: str, job_id: str, dataset_or_model: Mapping[str, str]) -> dict[str, Any]:
    """A Batch Job State Change event for a job of the deployed definition (the shape AWS Batch sends)."""
    definition = drill.job_definitions[stage]
    container = definition["containerProperties"]
    now = int(datetime.now(UTC).timestamp() * 1000)
    environment = [*container.get("environment", []),
                   *({"name": name, "value": value} for name, value in dataset_or_model.items()),
                   {"name": contract.BATCH_JOB_ID, "value": job_id}]
    return {"version": "0", "id": str(uuid.uuid4()), "detail-type": "Batch Job State Change", "source": "aws.batch",
            "account": drill.account, "time": datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
            "region": drill.region, "resources": [f"arn:aws:batch:{drill.region}:{drill.account}:job/{job_id}"],
            "detail": {"jobArn": f"arn:aws:batch:{drill.region}:{drill.account}:job/{job_id}",
                       "jobName": f"drill-{stage}", "jobId": job_id, "jobQueue": drill.queue_arn,
                       "status": "SUCCEEDED", "createdAt": now - 60000, "startedAt": now - 50000, "stoppedAt": now,
                       "jobDefinition": definition["jobDefinitionArn"],
                       "container": {"image": container["image"], "command": container["command"],
                                     "jobRoleArn": container.get("jobRoleArn"), "environment": environment},
                       "attempts": []}}


@contextmanager
def _recorder_client(s3: Any) -> Iterator[Any]:
    from zero_trust_ai.runtime.run_recorder import handler

    original = handler.boto3
    handler.boto3 = types.SimpleNamespace(client=lambda *_, **__: s3)
    try:
        yield handler
    finally:
        handler.boto3 = original


def run_record_attempts(drill: Lifecycle, outputs: Mapping[str, Any], record: Record) -> None:
    from zero_trust_ai.runtime.run_recorder.query import find_run_records

    function = drill.admin("lambda").get_function_configuration(FunctionName=f"{drill.prefix}-run-recorder")
    variables = dict(function["Environment"]["Variables"])
    bucket, key_id = variables[contract.RUN_RECORD_BUCKET], variables[contract.RUN_RECORD_KMS_KEY_ID]
    s3, _ = drill.clients_of(RECORDER_ROLE, None)
    run = uuid.uuid4().hex[:8]
    for stage in ("ingestion", "features", "training", "release"):
        job_id = f"drill-{stage}-{run}"
        event = _event(drill, stage, job_id, {contract.DATASET_ID: "drill"})

        def recorded(event: dict[str, Any] = event, job_id: str = job_id, stage: str = stage) -> str:
            import os
            saved = {k: os.environ.get(k) for k in variables}
            os.environ.update(variables)
            try:
                with _recorder_client(s3) as handler:
                    result = handler.handle(event, None)
            finally:
                for name, value in saved.items():
                    if value is None:
                        os.environ.pop(name, None)
                    else:
                        os.environ[name] = value
            reader, _ = drill.clients_of("security-auditor", None)
            (found,) = find_run_records(reader, bucket, job_id)
            definition = drill.job_definitions[stage]["containerProperties"]
            if not (found["image_pinned"] and found["command"] == definition["command"]
                    and found["image"] == definition["image"]):
                raise IntegrityError(f"run record of {job_id} does not match the job definition: {found}")
            return (f"{result.get('action')}: s3://{bucket}/{result.get('key')} -- image {found['image_digest']}, "
                    f"command {' '.join(found['command'])}, {len(found['environment'])} environment variables; "
                    "read back by job id (security auditor)")
        record(f"lifecycle: the run record of the {stage} job is written by the platform and queryable by job id",
               "ALLOW", _attempt(recorded), RUN_RECORDER)
    record("lifecycle: a run record is overwritten (PutObject without If-None-Match)", "DENY",
           drill.deployed.decide(RECORDER_ROLE, "s3:PutObject", "log-archive",
                                 f"{contract.RUN_RECORD_PREFIX}drill-ingestion-{run}/SUCCEEDED.json",
                                 {**TLS, "s3:ObjectCreationOperation": "true", "s3:x-amz-content-sha256": "0" * 64,
                                  "s3:x-amz-server-side-encryption-aws-kms-key-id": key_id}))
    record("lifecycle: a pipeline job writes its own run record", "DENY",
           drill.deployed.decide("pipeline-features", "s3:PutObject", "log-archive",
                                 f"{contract.RUN_RECORD_PREFIX}forged/SUCCEEDED.json",
                                 {**TLS, "s3:ObjectCreationOperation": "true", "s3:if-none-match": "*",
                                  "s3:x-amz-content-sha256": "0" * 64}))
    # the deployed rule's pattern, matched by moto's own EventBridge matcher (TestEventPattern is not implemented)
    from moto.events.models import EventPattern

    rule = drill.admin("events").describe_rule(Name=f"{drill.prefix}-run-recorder")
    pattern = EventPattern.load(rule["EventPattern"])
    for attempt, queue, expected in (
            ("a job of this platform's queue reaches the run recorder", drill.queue_arn, "ALLOW"),
            ("a job of another queue in the account reaches the run recorder",
             f"arn:aws:batch:{drill.region}:{drill.account}:job-queue/someone-elses", "DENY")):
        event = _event(drill, "features", f"drill-rule-{run}", {})
        event["detail"]["jobQueue"] = queue
        matched = pattern.matches_event(event)  # type: ignore[arg-type]
        record(f"lifecycle: {attempt}", expected,
               Decision(bool(matched), f"rule {rule['Name']} {'matches' if matched else 'does not match'} jobQueue "
                                       f"{queue}"), EVENTBRIDGE)
