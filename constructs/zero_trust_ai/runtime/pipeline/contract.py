"""The image/command contract of the pipeline stages: environment-variable names, entry modules, keys, buckets.

Defined once here so the infrastructure (job definitions, Lambda environments, grants) and the code that runs in the
containers use the same names. Pure data and the standard library only: importing it never pulls in boto3.

Every stage container runs ``python -m <entry_module>`` (:attr:`StageContract.command`) and reads its settings from
the variables in :attr:`StageContract.required_env` (and, if set, :attr:`StageContract.optional_env`).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Literal

# --- stage settings (container environment) ---
DATASET_ID = "ZTAI_DATASET_ID"
MODEL_ID = "ZTAI_MODEL_ID"
RAW_BUCKET = "ZTAI_RAW_BUCKET"
FEATURES_BUCKET = "ZTAI_FEATURES_BUCKET"
MODELS_BUCKET = "ZTAI_MODELS_BUCKET"
MANIFEST_SIGNING_KEY_ID = "ZTAI_MANIFEST_SIGNING_KEY_ID"  # training/feature jobs sign; consumers verify
RELEASE_SIGNING_KEY_ID = "ZTAI_RELEASE_SIGNING_KEY_ID"  # only the release step signs; serving verifies
INGEST_SOURCE_DIR = "ZTAI_INGEST_SOURCE_DIR"  # ingestion reads the files below this directory
MODEL_OUTPUT_PATH = "ZTAI_MODEL_OUTPUT_PATH"  # serving writes the verified model bytes here
BATCH_JOB_ID = "AWS_BATCH_JOB_ID"  # set by AWS Batch; recorded as the producer of each manifest

# --- run recorder (Lambda environment); runtime/run_recorder/handler.py repeats them (it is zipped alone) ---
RUN_RECORD_BUCKET = "RUN_RECORD_BUCKET"
RUN_RECORD_KMS_KEY_ID = "RUN_RECORD_KMS_KEY_ID"
RUN_RECORD_PREFIX = "run-records/"

Kind = Literal["raw", "features", "model", "release"]
KINDS: tuple[Kind, ...] = ("raw", "features", "model", "release")
SigningKey = Literal["manifest", "release"]


@dataclass(frozen=True)
class StageContract:
    """What the infrastructure must give one stage and what the stage does with it.

    ``reads`` / ``writes`` are ``(data-lake bucket id, object prefix)`` pairs (ids of ``data_lake.DATA_BUCKETS``);
    ``signs_with`` is the key whose ``kms:Sign`` the stage's role needs (None: it signs nothing) and
    ``verifies_with`` the keys it needs ``kms:Verify`` on. ``run_recorded``: a Batch job whose command, image digest
    and environment the platform records (the run recorder), not the job.
    """

    name: str
    entry_module: str
    required_env: tuple[str, ...]
    reads: tuple[tuple[str, str], ...]
    writes: tuple[tuple[str, str], ...]
    signs_with: SigningKey | None
    verifies_with: tuple[SigningKey, ...]
    produces: Kind | None
    consumes: Kind | None
    run_recorded: bool
    optional_env: tuple[str, ...] = (BATCH_JOB_ID,)
    create_only: bool = False  # writes carry If-None-Match: * (the model registry refuses any other write)

    @property
    def command(self) -> tuple[str, ...]:
        return ("python", "-m", self.entry_module)


_PACKAGE = "zero_trust_ai.runtime.pipeline"

STAGES: Mapping[str, StageContract] = {
    contract.name: contract for contract in (
        StageContract(
            name="ingestion", entry_module=f"{_PACKAGE}.ingestion",
            required_env=(DATASET_ID, RAW_BUCKET, MANIFEST_SIGNING_KEY_ID, INGEST_SOURCE_DIR),
            reads=(), writes=(("raw", "raw/"),), signs_with="manifest", verifies_with=(),
            produces="raw", consumes=None, run_recorded=True),
        StageContract(
            name="features", entry_module=f"{_PACKAGE}.features",
            required_env=(DATASET_ID, RAW_BUCKET, FEATURES_BUCKET, MANIFEST_SIGNING_KEY_ID),
            reads=(("raw", "raw/"),), writes=(("features", "features/"),), signs_with="manifest",
            verifies_with=("manifest",), produces="features", consumes="raw", run_recorded=True),
        StageContract(
            name="training", entry_module=f"{_PACKAGE}.training",
            required_env=(DATASET_ID, MODEL_ID, FEATURES_BUCKET, MODELS_BUCKET, MANIFEST_SIGNING_KEY_ID),
            reads=(("features", "features/"),), writes=(("models", "models/"),), signs_with="manifest",
            verifies_with=("manifest",), produces="model", consumes="features", run_recorded=True, create_only=True),
        StageContract(
            name="release", entry_module=f"{_PACKAGE}.release",
            required_env=(MODEL_ID, MODELS_BUCKET, MANIFEST_SIGNING_KEY_ID, RELEASE_SIGNING_KEY_ID),
            reads=(("models", "models/"),), writes=(("models", "releases/"),), signs_with="release",
            verifies_with=("manifest",), produces="release", consumes="model", run_recorded=True, create_only=True),
        StageContract(
            name="serving", entry_module=f"{_PACKAGE}.serving",
            required_env=(MODEL_ID, MODELS_BUCKET, RELEASE_SIGNING_KEY_ID, MODEL_OUTPUT_PATH),
            reads=(("models", "models/"), ("models", "releases/")), writes=(), signs_with=None,
            verifies_with=("release",), produces=None, consumes="release", run_recorded=False),
    )
}


class MissingSetting(ValueError):
    """A required environment variable of a stage is unset or empty."""


def require_env(env: Mapping[str, str], *names: str) -> dict[str, str]:
    """``{name: value}`` for every name; raises :class:`MissingSetting` naming each one that is unset or empty."""
    missing = [name for name in names if not env.get(name)]
    if missing:
        raise MissingSetting(f"required environment variable(s) not set: {', '.join(missing)}")
    return {name: env[name] for name in names}
