"""environments/schema.json is generated from the models and must be kept in sync."""

from __future__ import annotations

import json

from stacks.config import schema


def test_committed_schema_matches_the_models() -> None:
    committed = schema.SCHEMA_PATH.read_text(encoding="utf-8")
    assert committed == schema.render(), "run: .venv/bin/python -m stacks.config.schema"


def test_schema_forbids_unknown_fields_everywhere() -> None:
    document = json.loads(schema.render())
    assert document["additionalProperties"] is False
    for name, definition in document["$defs"].items():
        if definition.get("type") == "object":
            assert definition.get("additionalProperties") is False, name
