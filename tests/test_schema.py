"""environments/schema.json and environments/organization.schema.json are generated from the models and must be
kept in sync; every YAML file of environments/ names the schema of its kind."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from stacks.config import schema
from stacks.config.loader import is_organization_file

SCHEMA_FILES = sorted(schema.SCHEMAS, key=str)


@pytest.mark.parametrize("path", SCHEMA_FILES, ids=lambda p: p.name)
def test_committed_schema_matches_the_models(path: Path) -> None:
    committed = path.read_text(encoding="utf-8")
    assert committed == schema.render(path), "run: .venv/bin/python -m stacks.config.schema"


@pytest.mark.parametrize("path", SCHEMA_FILES, ids=lambda p: p.name)
def test_schema_forbids_unknown_fields_everywhere(path: Path) -> None:
    document = json.loads(schema.render(path))
    assert document["additionalProperties"] is False
    for name, definition in document["$defs"].items():
        if definition.get("type") == "object":
            assert definition.get("additionalProperties") is False, name


def test_organization_schema_describes_the_organization() -> None:
    document = json.loads(schema.render(schema.ORGANIZATION_SCHEMA_PATH))
    assert {"management_account_id", "guardrails", "backend"} <= set(document["required"])
    assert "workloads" in document["properties"] and "training" not in document["properties"]


@pytest.mark.parametrize("path", sorted(schema.ENVIRONMENTS_DIR.glob("*.yaml")), ids=lambda p: p.name)
def test_every_file_names_the_schema_of_its_kind(path: Path) -> None:
    expected = (schema.ORGANIZATION_SCHEMA_PATH if is_organization_file(path) else schema.SCHEMA_PATH).name
    head = path.read_text(encoding="utf-8").splitlines()[:5]
    assert f"# yaml-language-server: $schema=./{expected}" in head, f"{path.name}: add the line to its first lines"


@pytest.mark.parametrize("path", sorted(schema.ENVIRONMENTS_DIR.glob("*.yaml")), ids=lambda p: p.name)
def test_every_file_is_valid_against_its_schema(path: Path) -> None:
    """What an editor checks while typing agrees with the loader: the shipped files pass both (and a file the
    schema refuses is refused by the loader too -- tests/test_config_*.py)."""
    import jsonschema
    import yaml

    target = schema.ORGANIZATION_SCHEMA_PATH if is_organization_file(path) else schema.SCHEMA_PATH
    validator = jsonschema.Draft202012Validator(json.loads(schema.render(target)))
    problems = [f"{'.'.join(map(str, e.absolute_path))}: {e.message}"
                for e in validator.iter_errors(yaml.safe_load(path.read_text(encoding="utf-8")))]
    assert problems == []


def test_the_schema_refuses_what_the_loader_refuses() -> None:
    """The organization schema is not vacuous: an unknown field and a malformed account id fail it."""
    import jsonschema

    validator = jsonschema.Draft202012Validator(json.loads(schema.render(schema.ORGANIZATION_SCHEMA_PATH)))
    document = {"management_account_id": "12345", "region": "eu-west-1", "guardrails": {},
                "backend": {"type": "local"}, "surplus": 1}
    messages = [error.message for error in validator.iter_errors(document)]
    assert any("surplus" in message for message in messages), messages
    assert any("12345" in message for message in messages), messages
