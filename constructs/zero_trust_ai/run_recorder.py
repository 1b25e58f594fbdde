"""RunRecorder: the platform, not the job, records what every pipeline job ran (seed step 4, "everything run is
logged")."""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import ClassVar

from cdktf_cdktf_provider_aws.cloudwatch_event_rule import CloudwatchEventRule
from constructs import Construct
from pydantic import Field

from zero_trust_ai.alert_topic import AlertTopic
from zero_trust_ai.platform_key import PlatformKey
from zero_trust_ai.runtime.pipeline import contract
from zero_trust_ai.secure_bucket import SecureBucket
from zero_trust_ai.signed_function import FunctionCode, FunctionOptOuts, SignedFunction, SignedFunctionProps

# what AWS Batch sends to EventBridge on every job state change
# https://docs.aws.amazon.com/batch/latest/userguide/batch_job_events.html
BATCH_SOURCE, BATCH_DETAIL_TYPE = "aws.batch", "Batch Job State Change"


class RunRecorderProps(FunctionOptOuts):
    """Props of :class:`RunRecorder`."""

    name_prefix: str = Field(pattern=r"^[a-z0-9-]{3,40}$")
    account_id: str = Field(pattern=r"^\d{12}$")
    region: str
    log_retention_days: int = Field(ge=365)
    reserved_concurrency: int = Field(default=5, ge=1, le=10, description="Default: 5 concurrent runs at most.")


class RunRecorder(SignedFunction):
    """An EventBridge rule on ``aws.batch`` "Batch Job State Change" events of this platform's job queues only
    invokes a signed function (``zero_trust_ai/runtime/run_recorder/handler.py``) that writes one immutable run record
    per job and status -- command, image and whether it is pinned by digest, environment, job definition, role --
    to ``run-records/<jobId>/<status>.json`` in the log archive.

    * the role may write (and read back, for duplicate deliveries) ``run-records/*`` only, encrypting with the logs
      key; no delete;
    * the archive refuses any write under ``run-records/`` that could replace a record (``If-None-Match: *``
      required) and keeps every version under its Object Lock;
    * failures (dead letters, errors, failed invocations) page the alert topic.
    """

    implements: ClassVar[tuple[str, ...]] = ('ZT-LOG-3',)

    def __init__(self, scope: Construct, id: str, *, props: RunRecorderProps, code: FunctionCode, key: PlatformKey,
                 artifacts: SecureBucket, alert_topic: AlertTopic, archive: SecureBucket,
                 job_queue_arns: Sequence[str]) -> None:
        if not job_queue_arns:
            raise ValueError("RunRecorder: name the job queues whose jobs are recorded (at least one)")
        super().__init__(scope, id, code=code, key=key, artifacts=artifacts, props=SignedFunctionProps(
            name_prefix=props.name_prefix, short_name="run-recorder", grant_name="RunRecorder",
            description="Records the command, image digest and environment of every pipeline job (run records)",
            account_id=props.account_id, region=props.region, log_retention_days=props.log_retention_days,
            reserved_concurrency=props.reserved_concurrency, timeout_seconds=30,
            ignore_dead_letter_config_drift_reason=props.ignore_dead_letter_config_drift_reason,
            code_signing_opt_out_reason=props.code_signing_opt_out_reason))
        prefix = contract.RUN_RECORD_PREFIX
        archive.grant_write(self.role, prefix=prefix)
        archive.grant_read(self.role, prefix=prefix)  # HeadObject of an existing record (duplicate delivery)
        archive.require_conditional_writes(prefix=prefix)
        self.record_prefix = prefix
        self.deploy({contract.RUN_RECORD_BUCKET: archive.bucket_name,
                     contract.RUN_RECORD_KMS_KEY_ID: key.key_arn}, alert_topic)
        self.rule = CloudwatchEventRule(
            self, "rule_batch_job_state_change", name=f"{props.name_prefix}-run-recorder",
            description="Run records: state changes of this platform's Batch jobs",
            event_pattern=json.dumps({"source": [BATCH_SOURCE], "detail-type": [BATCH_DETAIL_TYPE],
                                      "detail": {"jobQueue": list(job_queue_arns)}}, sort_keys=True),
        )
        self.invoke_from_rule("batch_job_state_change", self.rule, alert_topic)
