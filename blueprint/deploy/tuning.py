"""How the toolkit runs terraform and moto against the `local` emulator, and the switch back to before (issue 21).

What dominated the main job, measured with ``python -m blueprint.bench --main-job`` (README, Performance):
the provider's own waiters. Nine ``aws_s3_bucket_lifecycle_configuration`` resources each wait about 55 s
for their rules to read back the same ten times in a row (10 s delay, then every 5 s), and with
terraform's default ``-parallelism=10`` they held nine of the ten slots for a minute while everything
else queued behind them; the SQS queues and queue policies (about 25 s each: three consecutive equal reads
7 s apart), the Batch job queue (a fixed 30 s delay), the load balancer (30 s delay) and the KMS keys
(about 12 s) wait the same way. Those waits are constants of the provider, the same against AWS; what the
toolkit can change is how many run side by side, and how much CPU terraform spends besides them:

* ``-parallelism`` :data:`PARALLELISM` for apply, destroy and the second plan: the waiters sleep side by
  side instead of in turns, and the apply comes down to its critical path (the longest dependency chain of
  waits: role -> KMS key -> launch template -> Batch compute environment -> job queue -> event rule ->
  dead-letter queue policy, about 80 s);
* ``GOGC`` :data:`GO_GC_PERCENT` for terraform and the provider: both are Go programs whose heap is mostly
  the AWS provider's schema; with Go's default (100) they spend much of a validate/plan in garbage
  collection. 400 halved ``terraform validate`` of `local` on this machine (21 s -> 10 s under load) for
  about 150 MB more per process;
* moto with its requests one at a time (:mod:`blueprint.deploy.moto_server`), so that more requests in
  flight cannot meet in moto's unlocked dictionaries;
* the policy gate beside the deploy (``ztai main-job``): it reads only the synthesized JSON, and the deploy
  never depended on its verdict (the job fails if either fails, as before).

None of it changes what is deployed, planned, verified or drilled. ``ZTAI_MAIN_JOB_BASELINE=1`` restores
every setting of before (terraform's defaults, ``moto_server`` as moto ships it, the gate before the
deploy), for the benchmark's alternating before/after runs.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field

BASELINE_ENV = "ZTAI_MAIN_JOB_BASELINE"
PARALLELISM = 30  # terraform's default is 10
GO_GC_PERCENT = "400"  # Go's default is 100


@dataclass(frozen=True)
class EmulatorTuning:
    parallelism: int | None  # None: terraform's default
    terraform_env: Mapping[str, str] = field(default_factory=dict)
    serialized_emulator: bool = True
    gate_beside_deploy: bool = True

    @property
    def args(self) -> list[str]:
        return [f"-parallelism={self.parallelism}"] if self.parallelism else []


def tuning(environ: Mapping[str, str] | None = None) -> EmulatorTuning:
    env = os.environ if environ is None else environ
    if env.get(BASELINE_ENV, "") not in ("", "0"):
        return EmulatorTuning(parallelism=None, terraform_env={}, serialized_emulator=False, gate_beside_deploy=False)
    # an explicit GOGC of the user's wins
    return EmulatorTuning(parallelism=PARALLELISM, terraform_env={} if "GOGC" in env else {"GOGC": GO_GC_PERCENT})
