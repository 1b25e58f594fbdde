"""Synthesized stacks modulo logical ids: what the refactoring into ``ZeroTrustAiPlatform`` may change, and no more.

Moving the tiers into the platform construct adds one scope (``<env>/platform/...``), so every logical id changes.
:func:`normalize` renames each resource and data source after its construct path below the platform, rewrites every
reference to it (``${aws_x.<id>.attr}``, ``depends_on``), and drops only the ``//`` metadata that names the ids. Asset
directories (named after the construct path) keep their file name, which carries the content hash.

The baseline (``tests/fixtures/equivalence/<env>.json.gz``) is the normalized output of commit 3871a90, the last
commit before the refactoring; write it with ``python -m tests.equivalence --write <cdktf.out of that commit>``.
"""

from __future__ import annotations

import argparse
import gzip
import json
import re
import sys
from pathlib import Path
from typing import Any

FIXTURES = Path(__file__).resolve().parent / "fixtures" / "equivalence"
PLATFORM_SCOPE = "platform"
_REFERENCE = re.compile(r"\b(data\.)?(aws_[a-z0-9_]+)\.([A-Za-z0-9_]+)\b")
_ASSET_DIR = re.compile(r"assets/[A-Za-z0-9_]+/[0-9A-F]{32}/")


def _below_platform(path: str) -> str:
    _env, _, rest = path.partition("/")
    return rest.removeprefix(f"{PLATFORM_SCOPE}/")


def normalize(stack: dict[str, Any]) -> dict[str, Any]:
    """The stack with ids replaced by construct paths (see the module docstring)."""
    renames: dict[tuple[str, str, str], str] = {}
    for section, prefix in (("resource", ""), ("data", "data.")):
        for type_name, bodies in stack.get(section, {}).items():
            for logical, body in bodies.items():
                name = _below_platform(body["//"]["metadata"]["path"]).replace("/", "__")
                renames[(prefix, type_name, logical)] = name

    def rewrite(value: Any) -> Any:
        if isinstance(value, str):
            value = _ASSET_DIR.sub("assets/<asset>/", value)
            return _REFERENCE.sub(lambda m: f"{m.group(1) or ''}{m.group(2)}."
                                  f"{renames.get((m.group(1) or '', m.group(2), m.group(3)), m.group(3))}", value)
        if isinstance(value, list):
            return [rewrite(item) for item in value]
        if isinstance(value, dict):
            return {key: rewrite(item) for key, item in value.items() if key != "//"}
        return value

    out: dict[str, Any] = {}
    for section, body in stack.items():
        if section in ("resource", "data"):
            prefix = "" if section == "resource" else "data."
            out[section] = {type_name: {renames[(prefix, type_name, logical)]: rewrite(item)
                                        for logical, item in bodies.items()}
                            for type_name, bodies in body.items()}
        elif section != "//":
            out[section] = rewrite(body)
    return out


def baseline(env: str) -> dict[str, Any]:
    with gzip.open(FIXTURES / f"{env}.json.gz", "rt", encoding="utf-8") as handle:
        return dict(json.load(handle))


def write_baselines(outdir: Path) -> list[Path]:
    FIXTURES.mkdir(parents=True, exist_ok=True)
    written = []
    for stack_file in sorted((outdir / "stacks").glob("*/cdk.tf.json")):
        env = stack_file.parent.name
        normalized = normalize(json.loads(stack_file.read_text(encoding="utf-8")))
        target = FIXTURES / f"{env}.json.gz"
        # mtime=0: the same output gives the same bytes
        with gzip.GzipFile(target, "wb", mtime=0) as handle:
            handle.write(json.dumps(normalized, indent=1, sort_keys=True).encode("utf-8"))
        written.append(target)
    return written


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--write", type=Path, required=True, metavar="CDKTF_OUT",
                        help="write the normalized baselines from this synthesized output directory")
    args = parser.parse_args(argv)
    for path in write_baselines(args.write):
        print(path)
    return 0


if __name__ == "__main__":
    sys.exit(main())
