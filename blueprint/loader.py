"""Load and validate ``environments/*.yaml`` -- the single edge where configuration enters.

Every failure becomes a :class:`ConfigError` whose message names the file, the field path, the bad
value and the fix. Nothing is synthesized until *every* selected environment has validated.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

import yaml
from pydantic import BaseModel, ValidationError

from blueprint.config import EnvironmentConfig, FieldProblem, LoadedEnvironment
from blueprint.pki import ROOT as PROJECT_ROOT
from blueprint.pki import check_ca_bundle

ENV_NAME = re.compile(r"^[a-z][a-z0-9-]{0,30}$")


class ConfigError(Exception):
    """One or more configuration problems, already formatted for a human."""

    def __init__(self, problems: Sequence[str]) -> None:
        self.problems = list(problems)
        super().__init__("\n".join(self.problems))


class _StrictLoader(yaml.SafeLoader):
    """SafeLoader that refuses duplicate keys (PyYAML silently keeps the last one)."""


def _construct_mapping(loader: _StrictLoader, node: yaml.MappingNode, deep: bool = False) -> dict[Any, Any]:
    mapping: dict[Any, Any] = {}
    for key_node, value_node in node.value:
        key = loader.construct_object(key_node, deep=deep)
        if key in mapping:
            raise yaml.constructor.ConstructorError(
                "while constructing a mapping",
                node.start_mark,
                f"found duplicate key {key!r}",
                key_node.start_mark,
            )
        mapping[key] = loader.construct_object(value_node, deep=deep)
    return mapping


_StrictLoader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _construct_mapping)


def _path_text(loc: Iterable[str | int]) -> str:
    text = ""
    for part in loc:
        if isinstance(part, int):
            text += f"[{part}]"
        else:
            text += f".{part}" if text else str(part)
    return text or "(top level)"


def _lookup(data: Any, loc: Sequence[str | int]) -> Any:
    current = data
    for part in loc:
        try:
            current = current[part]
        except (KeyError, IndexError, TypeError):
            return None
    return current


def _model_at(loc: Sequence[str | int]) -> type[BaseModel] | None:
    """The pydantic model class that owns the mapping at ``loc`` (for listing allowed fields)."""
    model: Any = EnvironmentConfig
    for part in loc:
        if isinstance(part, int):
            continue
        if not (isinstance(model, type) and issubclass(model, BaseModel)):
            return None
        field = model.model_fields.get(part)
        if field is None:
            return None
        model = _unwrap(field.annotation)
    return model if isinstance(model, type) and issubclass(model, BaseModel) else None


def _unwrap(annotation: Any) -> Any:
    """Find a BaseModel inside Optional[...] / list[...] annotations."""
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return annotation
    for arg in getattr(annotation, "__args__", ()) or ():
        found = _unwrap(arg)
        if found is not None:
            return found
    return None


def _fix_for(error: Any) -> str:
    kind = error["type"]
    loc = [part for part in error["loc"] if not (isinstance(part, str) and part in ("s3", "local"))]
    if kind == "extra_forbidden":
        owner = _model_at(loc[:-1])
        allowed = ", ".join(sorted(owner.model_fields)) if owner else "see environments/schema.json"
        return f"remove it or correct the spelling; allowed fields here: {allowed}"
    if kind == "missing":
        return "add this field (see environments/schema.json for its meaning)"
    if kind in ("int_parsing", "int_type", "int_from_float"):
        return "use a whole number without quotes"
    if kind in ("float_parsing", "float_type"):
        return "use a number"
    if kind in ("bool_parsing", "bool_type"):
        return "use true or false"
    if kind in ("string_type",):
        return "use a quoted string"
    if kind in ("list_type",):
        return "use a YAML list (- item per line)"
    if kind in ("dict_type", "model_type", "model_attributes_type"):
        return "use a mapping of field: value"
    if kind == "string_pattern_mismatch":
        pattern = error.get("ctx", {}).get("pattern", "")
        return f"use a value matching {pattern}"
    if kind in ("greater_than_equal", "less_than_equal", "greater_than", "less_than"):
        return "use a value inside the documented bounds: " + error["msg"].lower()
    if kind in ("too_short", "too_long"):
        return "change the number of items: " + error["msg"].lower()
    if kind == "union_tag_invalid":
        return "set type to 's3' (or 'local' for the emulator environment)"
    if kind == "literal_error":
        return error["msg"]
    return error["msg"]


def format_validation_error(source: str, data: Any, exc: ValidationError) -> list[str]:
    problems = []
    for error in exc.errors(include_url=False):
        loc: list[str | int] = [part for part in error["loc"] if part not in ("s3", "local")]
        original = error.get("ctx", {}).get("error")
        if isinstance(original, FieldProblem):
            loc = loc + list(original.field)
            message, fix = original.message, original.fix
        else:
            message, fix = error["msg"], _fix_for(error)
            if error["type"] == "extra_forbidden":
                message = "unknown field"
            elif error["type"] == "missing":
                message = "required field is missing"
        value = _lookup(data, loc) if error["type"] != "missing" else None
        shown = "(missing)" if error["type"] == "missing" else repr(value if value is not None else error.get("input"))
        if len(shown) > 120:
            shown = shown[:117] + "..."
        problems.append(f"{source}: {_path_text(loc)} = {shown}: {message}. Fix: {fix}.")
    return problems


def load_environment(path: Path, *, display_root: Path | None = None) -> LoadedEnvironment:
    """Parse and validate one environment file, or raise :class:`ConfigError`."""
    source = _display(path, display_root)
    name = path.stem
    if not ENV_NAME.match(name):
        raise ConfigError(
            [
                f"{source}: (file name) = {name!r}: an environment name becomes the stack name. "
                "Fix: rename the file to lowercase letters, digits and dashes, e.g. environments/dev.yaml."
            ]
        )
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise ConfigError(
            [f"{source}: cannot be read ({exc.strerror}). Fix: create the file or check its permissions."]
        ) from None
    try:
        data = yaml.load(text, Loader=_StrictLoader)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f"line {mark.line + 1}, column {mark.column + 1}" if mark else "unknown position"
        problem = getattr(exc, "problem", None) or str(exc)
        raise ConfigError(
            [
                f"{source}: (YAML at {where}) = malformed YAML: {problem}. "
                "Fix: correct the YAML syntax at that position "
                "(indent with spaces, quote values containing ':' or '#', no duplicate keys)."
            ]
        ) from None
    if data is None:
        raise ConfigError(
            [
                f"{source}: (top level) = (empty file): the file holds no settings. "
                "Fix: copy environments/dev.yaml and adapt it."
            ]
        )
    if not isinstance(data, dict):
        raise ConfigError(
            [
                f"{source}: (top level) = {type(data).__name__}: the file must be a mapping of settings. "
                "Fix: start with 'account_id: ...' at column 1, as in environments/dev.yaml."
            ]
        )
    try:
        config = EnvironmentConfig.model_validate(data)
    except ValidationError as exc:
        raise ConfigError(format_validation_error(source, data, exc)) from None
    bundle_problem = check_ca_bundle(PROJECT_ROOT / config.serving.client_ca_bundle_file)
    if bundle_problem:
        raise ConfigError(
            [
                f"{source}: serving.client_ca_bundle_file = {config.serving.client_ca_bundle_file!r}: the client CA "
                f"bundle {bundle_problem}. Fix: point it at a PEM file of your client CA certificate(s), relative "
                "to the project root (`python -m blueprint.pki example-ca <env>` writes an example)."
            ]
        )
    if name == "local" and config.emulator is None:
        raise ConfigError(
            [
                f"{source}: emulator = (missing): the local environment deploys to the emulator. "
                "Fix: add 'emulator: {endpoint: http://127.0.0.1:5000}'."
            ]
        )
    return LoadedEnvironment(name=name, source=source, config=config)


def _display(path: Path, root: Path | None) -> str:
    if root is not None:
        try:
            return str(path.resolve().relative_to(root.resolve()))
        except ValueError:
            pass
    return str(path)


def discover(environments_dir: Path) -> list[Path]:
    return sorted(p for p in environments_dir.glob("*.yaml") if p.is_file())


def load_all(
    environments_dir: Path, *, only: Sequence[str] | None = None, display_root: Path | None = None
) -> list[LoadedEnvironment]:
    """Validate every selected environment; collect all problems before failing."""
    paths = discover(environments_dir)
    available = [p.stem for p in paths]
    if only:
        unknown = [name for name in only if name not in available]
        if unknown:
            raise ConfigError(
                [
                    f"ZTAI_ENVIRONMENTS = {','.join(only)!r}: no environment file for {', '.join(unknown)}. "
                    f"Fix: choose from {', '.join(available)} or add environments/<name>.yaml."
                ]
            )
        paths = [p for p in paths if p.stem in only]
    if not paths:
        raise ConfigError([f"{environments_dir}: (directory) = no *.yaml files. Fix: add environments/<name>.yaml."])
    loaded: list[LoadedEnvironment] = []
    problems: list[str] = []
    for path in paths:
        try:
            loaded.append(load_environment(path, display_root=display_root))
        except ConfigError as exc:
            problems.extend(exc.problems)
    if problems:
        raise ConfigError(problems)
    return loaded
