"""Export the environment models as JSON Schema (``environments/schema.json``) for editors.

Run ``python -m stacks.config.schema`` after changing ``stacks/config/model.py``; a test fails when the
committed file differs from the models.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

from stacks.config.model import EnvironmentConfig

SCHEMA_PATH = Path(__file__).resolve().parents[2] / "environments" / "schema.json"


def render() -> str:
    schema = EnvironmentConfig.model_json_schema()
    schema["$schema"] = "https://json-schema.org/draft/2020-12/schema"
    schema["title"] = "Zero-trust AI platform environment (environments/<name>.yaml)"
    return json.dumps(schema, indent=2, sort_keys=True) + "\n"


def main() -> int:
    SCHEMA_PATH.write_text(render(), encoding="utf-8")
    print(f"wrote {SCHEMA_PATH}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
