"""One snapshot per environment of the deterministic synthesized stack.

A change to any construct shows up here as a reviewable diff of the Terraform JSON. Update with
`pytest tests/test_snapshots.py --snapshot-update` after reading the diff.
"""

from __future__ import annotations

import json
from typing import Any

import pytest
from syrupy.assertion import SnapshotAssertion
from syrupy.extensions.json import JSONSnapshotExtension

from tests.conftest import Synthesized


@pytest.fixture
def snapshot_json(snapshot: SnapshotAssertion) -> SnapshotAssertion:
    return snapshot.use_extension(JSONSnapshotExtension)


def test_synthesized_stack_matches_snapshot(synthesized: Synthesized, env_name: str,
                                            snapshot_json: SnapshotAssertion) -> None:
    stack: dict[str, Any] = synthesized.stack(env_name)
    # Policies are JSON strings; parse them so a snapshot diff shows the changed statement, not one long line.
    for resources in stack.get("resource", {}).values():
        for body in resources.values():
            for key in ("policy", "assume_role_policy"):
                if isinstance(body.get(key), str) and body[key].startswith("{"):
                    body[key] = json.loads(body[key])
    assert stack == snapshot_json
