"""Synthesized stacks modulo logical ids: what the refactoring into ``ZeroTrustAiPlatform`` may change, and no more.

Moving the tiers into the platform construct adds one scope (``<env>/platform/...``), so every logical id changes.
:func:`normalize` renames each resource and data source after its construct path below the platform, rewrites every
reference to it (``${aws_x.<id>.attr}``, ``depends_on``), and drops only the ``//`` metadata that names the ids. Asset
directories (named after the construct path) keep their file name, which carries the content hash.

The baseline (``tests/fixtures/equivalence/<env>.json.gz``) is the normalized output of commit 3871a90, the last
commit before the refactoring; write it with ``python -m tests.equivalence --write <cdktf.out of that commit>``. It
stays fixed. What changed on purpose since is reviewed data, in ``tests/fixtures/equivalence/since.yaml``:

* ``added``: construct-path prefixes of resources that did not exist before, each with its reason;
* ``changed``: a resource (``<type>.<normalized name>``) and the properties that may differ, each with its reason;
* ``removed``: resources that no longer exist, each with its reason.

Everything else must be unchanged, property by property.
"""

from __future__ import annotations

import argparse
import gzip
import json
import re
import sys
from pathlib import Path
from typing import Any

from stacks.paths import below_root

FIXTURES = Path(__file__).resolve().parent / "fixtures" / "equivalence"
_REFERENCE = re.compile(r"\b(data\.)?(aws_[a-z0-9_]+)\.([A-Za-z0-9_]+)\b")
_ASSET_DIR = re.compile(r"assets/[A-Za-z0-9_]+/[0-9A-F]{32}/")


def normalize(stack: dict[str, Any]) -> dict[str, Any]:
    """The stack with ids replaced by construct paths (see the module docstring)."""
    renames: dict[tuple[str, str, str], str] = {}
    for section, prefix in (("resource", ""), ("data", "data.")):
        for type_name, bodies in stack.get(section, {}).items():
            for logical, body in bodies.items():
                name = below_root(body["//"]["metadata"]["path"]).replace("/", "__")
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


SINCE = FIXTURES / "since.yaml"


def differences(expected: dict[str, Any], actual: dict[str, Any], since: dict[str, Any],
                env: str | None = None) -> list[str]:
    """What differs between two normalized stacks and is not covered by a reviewed entry of ``since``. An entry with
    ``environments`` covers those environments' stacks only (``env``); one without covers every stack."""
    def applies(entry: dict[str, Any]) -> bool:
        scope = entry.get("environments")
        return scope is None or env in scope

    added = [(entry["prefix"], entry["reason"]) for entry in since.get("added", []) if applies(entry)]
    changed: dict[str, set[str]] = {}
    for entry in since.get("changed", []):  # one resource may be changed by several reviewed entries
        if applies(entry):
            changed.setdefault(entry["resource"], set()).update(entry["properties"])
    removed = {entry["resource"] for entry in since.get("removed", []) if applies(entry)}
    problems: list[str] = []
    for section in sorted(set(expected) | set(actual)):
        if section not in ("resource", "data"):
            if expected.get(section) != actual.get(section):
                keys = sorted(set(expected.get(section, {})) ^ set(actual.get(section, {}))) or ["(values)"]
                if not all(f"{section}.{key}" in changed for key in keys):
                    problems.append(f"{section} differs: {keys}")
            continue
        before, after = expected.get(section, {}), actual.get(section, {})
        for type_name in sorted(set(before) | set(after)):
            old, new = before.get(type_name, {}), after.get(type_name, {})
            for name in sorted(set(old) | set(new)):
                resource = f"{type_name}.{name}"
                if name not in old:
                    if not any(name.startswith(prefix.replace("/", "__")) for prefix, _ in added):
                        problems.append(f"added without a reviewed entry: {resource}")
                elif name not in new:
                    if resource not in removed:
                        problems.append(f"removed without a reviewed entry: {resource}")
                else:
                    differing = {key for key in set(old[name]) | set(new[name])
                                 if old[name].get(key) != new[name].get(key)}
                    unexplained = differing - changed.get(resource, set())
                    if unexplained:
                        problems.append(f"changed without a reviewed entry: {resource} {sorted(unexplained)}")
    return problems


def load_since() -> dict[str, Any]:
    import yaml

    document = yaml.safe_load(SINCE.read_text(encoding="utf-8")) if SINCE.exists() else None
    since = dict(document or {})
    for kind in ("added", "changed", "removed"):
        for entry in since.get(kind) or []:
            if len(str(entry.get("reason", "")).strip()) < 20:
                raise ValueError(f"{SINCE}: {kind} entry {entry} needs its reason (at least 20 characters)")
    return since


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
