"""The red-team drill's evaluated attempts as parity cases (tests/test_deploy_e2e.py, against the emulator)."""

from __future__ import annotations

from collections.abc import Sequence

from blueprint.drill import policy_eval
from tests.parity import harness


def cases(entries: Sequence[policy_eval.Recorded]) -> list[harness.Case]:
    """One case per evaluation the drill made while ``policy_eval.recording()`` was active."""
    return [harness.Case.from_recorded(f"drill/{i:03d}/{e.request.action}/{e.request.principal_arn.rsplit('/', 1)[-1]}",
                                       e) for i, e in enumerate(entries)]


def compare(entries: Sequence[policy_eval.Recorded]) -> harness.Comparison:
    return harness.compare(cases(entries), harness.known_differences())
