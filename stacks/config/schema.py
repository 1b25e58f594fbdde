"""Export the configuration models as JSON Schema for editors: ``environments/schema.json`` (a workload environment,
``environments/<name>.yaml``) and ``environments/organization.schema.json`` (``environments/organization*.yaml``).

Run ``python -m stacks.config.schema`` after changing ``stacks/config/model.py``; a test fails when a committed file
differs from the models. Each YAML file names its schema in its first lines (``# yaml-language-server: $schema=...``),
which editors with YAML language support read.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

from pydantic import BaseModel

from stacks.config.model import EnvironmentConfig, OrganizationConfig

ENVIRONMENTS_DIR = Path(__file__).resolve().parents[2] / "environments"
SCHEMA_PATH = ENVIRONMENTS_DIR / "schema.json"
ORGANIZATION_SCHEMA_PATH = ENVIRONMENTS_DIR / "organization.schema.json"
# file -> (model, title)
SCHEMAS: dict[Path, tuple[type[BaseModel], str]] = {
    SCHEMA_PATH: (EnvironmentConfig, "Zero-trust AI platform environment (environments/<name>.yaml)"),
    ORGANIZATION_SCHEMA_PATH: (OrganizationConfig,
                               "Zero-trust AI platform organization (environments/organization*.yaml)"),
}


def render(path: Path = SCHEMA_PATH) -> str:
    model, title = SCHEMAS[path]
    schema = model.model_json_schema()
    schema["$schema"] = "https://json-schema.org/draft/2020-12/schema"
    schema["title"] = title
    return json.dumps(schema, indent=2, sort_keys=True) + "\n"


def main() -> int:
    for path in SCHEMAS:
        path.write_text(render(path), encoding="utf-8")
        print(f"wrote {path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
