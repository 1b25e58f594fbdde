"""What the local emulator (moto 5.x) cannot do, and how the `local` environment handles each gap.

Every entry is listed by name in the deploy summary. ``handling`` says what differs from the cloud
environments; nothing here weakens dev/staging/prod.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class EmulatorGap:
    control: str
    gap: str
    handling: str


GAPS: tuple[EmulatorGap, ...] = (
    EmulatorGap(
        control="S3 object events to EventBridge (all buckets)",
        gap="moto accepts PutBucketNotificationConfiguration with EventBridge but never returns it, so "
        "every plan shows a change",
        handling="not configured in `local`; configured in dev/staging/prod and asserted by tests",
    ),
    EmulatorGap(
        control="Launch template drift detection (training compute)",
        gap="moto reports the template's own tags as a 'launch-template' tag specification of the version, "
        "so every plan shows a change",
        handling="`local` ignores changes to tag_specifications of the GPU launch template; the cloud "
        "environments show all drift",
    ),
    EmulatorGap(
        control="S3 lifecycle rules (abort incomplete multipart uploads)",
        gap="moto answers GetBucketLifecycleConfiguration so that the provider's steady-state waiter only "
        "succeeds after ~55 s per bucket (getmoto/moto#9729)",
        handling="kept as in the cloud; the local apply is ~1 minute slower because of it",
    ),
    EmulatorGap(
        control="KMS custom rotation period",
        gap="moto does not store rotation_period_in_days",
        handling="all environments use rotation with the AWS default period (365 days)",
    ),
)
