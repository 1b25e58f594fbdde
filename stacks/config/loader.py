"""Load and validate ``environments/*.yaml`` -- the single edge where configuration enters.

Every failure becomes a :class:`ConfigError` whose message names the file, the field path, the bad
value and the fix. Nothing is synthesized until *every* selected environment has validated.

The files are untrusted input, so every step is bounded: the file size (``MAX_FILE_BYTES``), the
nesting depth (``MAX_NESTING``), the number of values after alias expansion (``MAX_VALUES``, which stops
"billion laughs"), the length of every value shown in a message, and the number of problems reported
per file (``MAX_PROBLEMS``, then a count). Paths are resolved (symbolic links included) before they are
checked against the project root.
"""

from __future__ import annotations

import re
import reprlib
import types
import typing
from collections.abc import Hashable, Iterable, Iterator, Sequence
from pathlib import Path
from typing import Any, NamedTuple

import yaml
from pydantic import BaseModel, ValidationError

from stacks.config.model import (
    ORGANIZATION_FILE,
    EnvironmentConfig,
    EnvironmentDelegation,
    LoadedEnvironment,
    LoadedOrganization,
    OrganizationConfig,
    ProjectPathMarker,
    WorkloadOrganization,
)
from stacks.config.pki import ROOT as PROJECT_ROOT
from stacks.config.pki import check_ca_bundle, check_revocation_list
from zero_trust_ai.validation import InvalidInput

ENV_NAME = re.compile(r"^[a-z][a-z0-9-]{0,30}$")

# Bounds of one environment file. The shipped files are about 3 KB, 6 levels deep and 200 values.
MAX_FILE_BYTES = 128 * 1024
MAX_NESTING = 32
MAX_VALUES = 20_000
MAX_PROBLEMS = 20
MAX_SHOWN = 120  # characters of a value quoted in a message
MAX_TEXT = 500  # characters of a path, a problem or a fix in a message

_MERGE_TAG = "tag:yaml.org,2002:merge"


class ConfigError(Exception):
    """One or more configuration problems, already formatted for a human."""

    def __init__(self, problems: Sequence[str]) -> None:
        self.problems = list(problems)
        super().__init__("\n".join(self.problems))


# -- bounded text ---------------------------------------------------------------------------------


def _make_repr() -> reprlib.Repr:
    shown = reprlib.Repr()
    shown.maxlevel, shown.maxdict, shown.maxlist, shown.maxtuple, shown.maxset = 3, 4, 4, 4, 4
    shown.maxstring, shown.maxother, shown.maxlong = MAX_SHOWN, MAX_SHOWN, 40
    return shown


_REPR = _make_repr()


def shown(value: Any) -> str:
    """``repr(value)`` that never renders more than a few levels and MAX_SHOWN characters of it (so a
    huge or recursive value costs nothing to quote)."""
    try:
        text = _REPR.repr(value)
    except Exception:  # e.g. an int beyond Python's digit limit for str()
        text = f"<{type(value).__name__}>"
    return _clip(text, MAX_SHOWN)


def _clip(text: str, limit: int = MAX_TEXT) -> str:
    """``text`` on one line and at most ``limit`` characters long."""
    text = text.replace("\r", "\\r").replace("\n", "\\n")
    return text if len(text) <= limit else text[: limit - 3] + "..."


# -- YAML -----------------------------------------------------------------------------------------


class _Refused(yaml.MarkedYAMLError):
    """Well-formed YAML that an environment file must not contain, with how to fix it."""

    def __init__(self, problem: str, mark: yaml.Mark | None, fix: str) -> None:
        super().__init__(problem=problem, problem_mark=mark)
        self.fix = fix


class _BoundedLoader(yaml.SafeLoader):
    """SafeLoader for untrusted environment files.

    * Duplicate keys are an error (PyYAML silently keeps the last one), and so are keys that are a list or
      a mapping (PyYAML's own hashability check is kept).
    * Nesting deeper than MAX_NESTING is refused while composing, before Python's recursion limit.
    * A document that expands through aliases to more than MAX_VALUES values, or contains an alias of a
      node inside itself, is refused before anything is constructed.
    * A value that its tag cannot construct (``2024-02-30``, a 5,000-digit integer, ``!!timestamp foo``) is
      a YAML error with its position instead of an exception.
    """

    def __init__(self, stream: str) -> None:
        super().__init__(stream)
        self._depth = 0

    def compose_node(self, parent: yaml.Node | None, index: Any) -> yaml.Node | None:
        self._depth += 1
        try:
            if self._depth > MAX_NESTING:
                raise _Refused(f"the values are nested more than {MAX_NESTING} levels deep",
                               self.peek_event().start_mark,
                               "remove the extra brackets or indentation; settings nest a few levels, "
                               "as in environments/dev.yaml")
            return super().compose_node(parent, index)
        finally:
            self._depth -= 1

    def get_single_data(self) -> Any:
        node = self.get_single_node()
        if node is None:
            return None
        _check_expansion(node)
        return self.construct_document(node)

    def construct_object(self, node: yaml.Node, deep: bool = False) -> Any:
        try:
            return super().construct_object(node, deep=deep)
        except yaml.YAMLError:
            raise
        except (ArithmeticError, AttributeError, LookupError, TypeError, ValueError) as exc:
            kind = node.tag.rsplit(":", 1)[-1]
            value = f" {shown(node.value)}" if isinstance(node, yaml.ScalarNode) else ""
            raise _Refused(f"the value{value} cannot be read as YAML type {kind} ({_clip(str(exc), 120)})",
                           node.start_mark,
                           f"quote the value to keep it as text, or write a valid {kind}") from None

    def construct_mapping(self, node: yaml.MappingNode, deep: bool = False) -> dict[Any, Any]:
        if isinstance(node, yaml.MappingNode):
            first: dict[Any, yaml.Mark] = {}
            for key_node, _ in node.value:
                if key_node.tag == _MERGE_TAG:
                    continue
                key = self.construct_object(key_node, deep=True)
                if not isinstance(key, Hashable):
                    raise _Refused(f"a {type(key).__name__} is used as a key", key_node.start_mark,
                                   "use a plain name as the key (quote it if it starts with '[', '{' or '?')")
                if key in first:
                    raise _Refused(f"found duplicate key {shown(key)} (first at line {first[key].line + 1})",
                                   key_node.start_mark, "keep one of the two entries; YAML would silently drop one")
                first[key] = key_node.start_mark
        return super().construct_mapping(node, deep=deep)


def _children(node: yaml.Node) -> list[yaml.Node]:
    if isinstance(node, yaml.SequenceNode):
        return list(node.value)
    if isinstance(node, yaml.MappingNode):
        return [part for pair in node.value for part in pair]
    return []


def _check_expansion(root: yaml.Node) -> None:
    """Refuse a node graph that expands (aliases copied out) to more than MAX_VALUES values, or that has
    a cycle. Iterative, and each node is sized once, so a bomb costs as little as its text."""
    sizes: dict[int, int] = {}
    open_nodes: set[int] = set()
    stack: list[tuple[yaml.Node, bool]] = [(root, False)]
    while stack:
        node, finished = stack.pop()
        key = id(node)
        if finished:
            open_nodes.discard(key)
            size = 1 + sum(sizes[id(child)] for child in _children(node))
            if size > MAX_VALUES:
                raise _Refused(f"the document expands to more than {MAX_VALUES} values (through aliases or "
                               "sheer size)", node.start_mark,
                               "write the settings out; an environment holds a few hundred values")
            sizes[key] = size
        elif key not in sizes:
            if key in open_nodes:
                raise _Refused("an alias refers to a node that contains it (a cycle)", node.start_mark,
                               "replace the alias inside its own anchor by the values it should hold")
            open_nodes.add(key)
            stack.append((node, True))
            stack.extend((child, False) for child in _children(node))


_SYNTAX_FIX = ("correct the YAML syntax at that position "
               "(indent with spaces, quote values containing ':' or '#', no duplicate keys)")


def _parse(source: str, text: str) -> Any:
    fix = _SYNTAX_FIX
    try:
        return yaml.load(text, Loader=_BoundedLoader)  # a SafeLoader subclass
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line, column = (mark.line + 1, mark.column + 1) if mark else (0, 0)
        problem = exc.problem or exc.context or "invalid YAML"
        if isinstance(exc, _Refused):
            fix = exc.fix
        else:
            problem = f"malformed YAML: {problem}"
    except yaml.reader.ReaderError as exc:
        line = text.count("\n", 0, exc.position) + 1
        column = exc.position - (text.rfind("\n", 0, exc.position) + 1) + 1
        character = f"U+{exc.character:04X}" if isinstance(exc.character, int) else repr(exc.character)
        problem = f"the control character {character} is not allowed in YAML"
        fix = "delete the character (use an escape such as \\t inside a double-quoted string)"
    except yaml.YAMLError as exc:
        line, column, problem = 0, 0, "malformed YAML: " + (str(exc).splitlines() or ["invalid"])[0]
    where = f"line {line}, column {column}" if line else "unknown position"
    lines = text.splitlines()
    snippet = shown(lines[line - 1].strip()) if 0 < line <= len(lines) else "(end of file)" if line else "(unknown)"
    raise ConfigError([f"{source}: (YAML at {where}) = {_clip(snippet, 80)}: {_clip(problem)}. Fix: {fix}."])


def _read_text(path: Path, source: str) -> str:
    try:
        with path.open("rb") as handle:
            raw = handle.read(MAX_FILE_BYTES + 1)
    except OSError as exc:
        raise ConfigError(
            [f"{source}: (file) = {str(path)!r}: cannot be read ({exc.strerror}). "
             "Fix: create the file or check its permissions."]
        ) from None
    if len(raw) > MAX_FILE_BYTES:
        raise ConfigError(
            [f"{source}: (file size) = more than {MAX_FILE_BYTES // 1024} KiB: an environment file is a few KB "
             f"of settings; larger input is refused unread. Fix: keep only the settings "
             "(copy environments/dev.yaml and adapt it)."]
        )
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = raw.count(b"\n", 0, exc.start) + 1
        column = exc.start - (raw.rfind(b"\n", 0, exc.start) + 1) + 1
        raise ConfigError(
            [f"{source}: (file encoding) = byte 0x{raw[exc.start]:02x} at line {line}, column {column}: "
             f"the file is not UTF-8 text ({exc.reason}). Fix: save the file as UTF-8 "
             "(re-type the characters at that position)."]
        ) from None


# -- field paths ----------------------------------------------------------------------------------


class _Step(NamedTuple):
    key: Any
    is_index: bool  # a list position, shown as [n]


class _Location(NamedTuple):
    steps: list[_Step]
    annotation: Any  # the type expected at the end of the path (None when not known)
    in_key: bool  # the error is about a mapping key (pydantic's "[key]" location)


def _strip_annotated(annotation: Any) -> Any:
    while typing.get_origin(annotation) is typing.Annotated:
        annotation = typing.get_args(annotation)[0]
    return annotation


def _union_members(annotation: Any) -> list[Any] | None:
    if typing.get_origin(annotation) in (typing.Union, types.UnionType):
        return [_strip_annotated(a) for a in typing.get_args(annotation) if a is not type(None)]
    return None


def _is_model(annotation: Any) -> bool:
    return isinstance(annotation, type) and issubclass(annotation, BaseModel)


def _tags(member: Any, discriminator: str | None) -> tuple[Any, ...]:
    if not (_is_model(member) and discriminator and discriminator in member.model_fields):
        return ()
    return typing.get_args(member.model_fields[discriminator].annotation)


def _locate(loc: Sequence[Any], fields: Sequence[Any] = (), root: type[BaseModel] = EnvironmentConfig) -> _Location:
    """Translate a pydantic error location into the path of the file: union member tags that pydantic
    inserts into ``loc`` (``private_ca``, ``s3``, ``str``) are dropped by following the models, so a mapping
    key or a caller that happens to be named like a member is kept. ``fields`` (a :class:`FieldProblem`'s
    path below ``loc``) names fields only, never tags. ``root`` is the model of the whole file."""
    annotation: Any = root
    discriminator: str | None = None
    steps: list[_Step] = []
    parts = [(part, True) for part in loc] + [(part, False) for part in fields]
    position = 0
    while position < len(parts):
        part, tagged = parts[position]
        annotation = _strip_annotated(annotation)
        members = _union_members(annotation)
        if members is not None:
            if len(members) == 1:  # Optional[X]: pydantic adds no location
                annotation = members[0]
                continue
            if tagged:  # the next part is the member's tag: drop it, follow the member
                chosen = [m for m in members if part in _tags(m, discriminator) or getattr(m, "__name__", "") == part]
                position += 1
            else:  # a field of one of the members
                chosen = [m for m in members if _is_model(m) and part in m.model_fields]
            annotation = chosen[0] if chosen else None
            discriminator = None
            continue
        discriminator = None
        origin = typing.get_origin(annotation)
        steps.append(_Step(part, origin in (list, tuple) and isinstance(part, int)))
        if origin is dict and parts[position + 1:position + 2] == [("[key]", True)]:
            return _Location(steps, (typing.get_args(annotation) or (None,))[0], True)  # the key itself is wrong
        if _is_model(annotation):
            field = annotation.model_fields.get(part) if isinstance(part, str) else None
            annotation = field.annotation if field else None
            discriminator = field.discriminator if field and isinstance(field.discriminator, str) else None
        elif origin in (list, tuple):
            annotation = (typing.get_args(annotation) or (None,))[0]
        elif origin is dict:
            annotation = (typing.get_args(annotation) or (None, None))[1]
        else:
            annotation = None
        position += 1
    return _Location(steps, _strip_annotated(annotation), False)


def _path_text(steps: Iterable[_Step]) -> str:
    text = ""
    for step in steps:
        if step.is_index:
            text += f"[{step.key}]"
        else:
            plain = isinstance(step.key, str) and re.fullmatch(r"[\w.:/@+=-]+", step.key)
            name = step.key if plain else shown(step.key)
            text += f".{name}" if text else name
    return _clip(text) or "(top level)"


def _lookup(data: Any, steps: Sequence[_Step]) -> Any:
    current = data
    for step in steps:
        try:
            current = current[step.key]
        except (KeyError, IndexError, TypeError):
            return None
    return current


def _fix_for(error: Any, location: _Location, root: type[BaseModel] = EnvironmentConfig) -> str:
    kind = error["type"]
    ctx = error.get("ctx", {})
    if kind == "extra_forbidden":
        owner = _locate(error["loc"][:-1], root=root).annotation
        allowed = ", ".join(sorted(owner.model_fields)) if _is_model(owner) else "see environments/schema.json"
        return f"remove it or correct the spelling; allowed fields here: {allowed}"
    if kind == "missing":
        return "add this field (see environments/schema.json for its meaning)"
    if kind == "invalid_key":
        return "quote the name, or correct it to a setting name (letters, digits, '_' and '-'), e.g. account_id"
    if kind in ("int_parsing", "int_type", "int_from_float"):
        return "use a whole number without quotes"
    if kind in ("float_parsing", "float_type", "finite_number"):
        return "use a finite number"
    if kind in ("bool_parsing", "bool_type"):
        return "use true or false"
    if kind in ("string_type", "string_unicode"):
        return "use a quoted string"
    if kind in ("list_type",):
        return "use a YAML list (- item per line)"
    if kind in ("dict_type", "model_type", "model_attributes_type"):
        return "use a mapping of field: value"
    if kind == "literal_error":
        return f"use one of {ctx.get('expected', '?')}"
    if kind == "string_pattern_mismatch":
        return f"use a value matching {ctx.get('pattern', '')}"
    if kind in ("greater_than_equal", "less_than_equal", "greater_than", "less_than"):
        return "use a value inside the documented bounds: " + error["msg"].lower()
    if kind in ("too_short", "too_long", "string_too_short", "string_too_long"):
        return "change the length: " + error["msg"].lower()
    if kind in ("union_tag_invalid", "union_tag_not_found"):
        members = _union_members(location.annotation) or []
        discriminator = str(ctx.get("discriminator", "type")).strip("'")
        tags = ", ".join(repr(t) for m in members for t in _tags(m, discriminator))
        return f"set {discriminator} to one of {tags or ctx.get('expected_tags', '?')}"
    return str(error["msg"])


def _as_yaml(value: Any) -> str:
    """A scalar as YAML writes it (``2024-01-01``, ``null``, ``7``)."""
    try:
        return _clip(yaml.safe_dump(value, default_flow_style=True, width=1000).split("\n", 1)[0], 80)
    except yaml.YAMLError:
        return shown(value)


def format_validation_error(source: str, data: Any, exc: ValidationError,
                            root: type[BaseModel] = EnvironmentConfig) -> list[str]:
    """One line per problem (at most MAX_PROBLEMS, then how many more there are); ``root``: the file's model."""
    errors = exc.errors(include_url=False)
    problems = []
    for error in errors[:MAX_PROBLEMS]:
        kind = error["type"]
        original = error.get("ctx", {}).get("error")
        location = _locate(error["loc"], original.field if isinstance(original, InvalidInput) else (), root)
        missing = kind in ("missing", "union_tag_not_found")
        if isinstance(original, InvalidInput):  # FieldProblem, or a rule of the library
            message, fix = original.message, original.fix
        else:
            message, fix = error["msg"], _fix_for(error, location, root)
            if kind == "extra_forbidden":
                message = "unknown field"
            elif kind == "missing":
                message = "required field is missing"
            elif kind == "invalid_key":
                message = f"a setting name must be text, but YAML reads this one as {type(error.get('input')).__name__}"
        steps = location.steps
        if kind in ("union_tag_invalid", "union_tag_not_found"):
            discriminator = str(error.get("ctx", {}).get("discriminator", "type")).strip("'")
            steps = [*steps, _Step(discriminator, False)]
            message = "unknown type" if kind == "union_tag_invalid" else "required field is missing"
        if location.in_key:
            value: Any = steps[-1].key if steps else error.get("input")
            message = f"the name is not allowed: {message}"
        elif kind == "invalid_key":
            value = error.get("input")
            steps = [*steps[:-1], _Step(_as_yaml(value), False)]  # the key as written, not pydantic's str()
        else:
            value = _lookup(data, steps)
            if value is None:
                value = error.get("input")
        value_text = "(missing)" if missing else shown(value)
        problems.append(f"{source}: {_path_text(steps)} = {value_text}: {_clip(str(message))}. Fix: {_clip(fix)}.")
    if len(errors) > MAX_PROBLEMS:
        problems.append(
            f"{source}: (more) = {len(errors) - MAX_PROBLEMS} more problem(s) not shown: only the first "
            f"{MAX_PROBLEMS} are listed. Fix: correct the problems above and run again."
        )
    return problems


# -- paths ----------------------------------------------------------------------------------------


def _is_project_path(annotation: Any, metadata: Iterable[Any] = ()) -> bool:
    if any(isinstance(item, ProjectPathMarker) for item in metadata):
        return True
    if typing.get_origin(annotation) is typing.Annotated:
        return _is_project_path(None, annotation.__metadata__) or _is_project_path(typing.get_args(annotation)[0])
    union = typing.get_origin(annotation) in (typing.Union, types.UnionType)
    return union and any(_is_project_path(arg) for arg in typing.get_args(annotation))


def project_paths(model: BaseModel, prefix: tuple[Any, ...] = ()) -> Iterator[tuple[tuple[Any, ...], str]]:
    """(field path, value) of every project-relative path (a :data:`stacks.config.model.RepoPath`) in ``model``."""
    for name, field in type(model).model_fields.items():
        value = getattr(model, name)
        here = (*prefix, name)
        if isinstance(value, str) and _is_project_path(field.annotation, field.metadata):
            yield here, value
        elif isinstance(value, BaseModel):
            yield from project_paths(value, here)
        elif isinstance(value, dict):
            for key, item in value.items():
                if isinstance(item, BaseModel):
                    yield from project_paths(item, (*here, key))
        elif isinstance(value, list | tuple):
            for index, item in enumerate(value):
                if isinstance(item, BaseModel):
                    yield from project_paths(item, (*here, index))


def _resolve(path: Path) -> Path | None:
    """The real path (every symbolic link followed, also when the target does not exist), None on a loop."""
    try:
        return path.resolve()
    except (OSError, RuntimeError):  # RuntimeError: Python 3.11's "Symlink loop"
        return None


def _inside(path: Path, roots: Iterable[Path]) -> bool:
    return any(path.is_relative_to(root) for root in roots)


def _check_files(source: str, config: EnvironmentConfig, root: Path) -> list[str]:
    """Resolve every path the environment names against the project root, symbolic links included, and
    check the files the configuration itself depends on."""
    real_root = root.resolve()
    problems = []
    resolved: dict[tuple[Any, ...], Path] = {}
    for loc, value in project_paths(config):
        path_text = _path_text(_locate((), loc).steps)
        target = _resolve(root / value)
        if target is None:
            problems.append(f"{source}: {path_text} = {shown(value)}: a loop of symbolic links. "
                            "Fix: replace the link by the file.")
            continue
        if not _inside(target, [real_root]):
            problems.append(
                f"{source}: {path_text} = {shown(value)}: the path resolves to {_clip(str(target), 200)}, outside "
                "the project (through a symbolic link). Fix: copy the file into the project instead of linking it."
            )
        resolved[loc] = target
    if problems:
        return problems
    serving = config.serving
    bundle_problem = check_ca_bundle(resolved[("serving", "client_ca_bundle_file")])
    if bundle_problem:
        problems.append(
            f"{source}: serving.client_ca_bundle_file = {shown(serving.client_ca_bundle_file)}: the client CA "
            f"bundle {_clip(bundle_problem)}. Fix: point it at a PEM file of your valid client CA certificate(s), "
            "relative to the project root (`python -m stacks.config.pki example-ca <env>` writes an example)."
        )
    if serving.client_revocation_list_file is not None:
        crl_problem = check_revocation_list(resolved[("serving", "client_revocation_list_file")])
        if crl_problem:
            problems.append(
                f"{source}: serving.client_revocation_list_file = {shown(serving.client_revocation_list_file)}: "
                f"the revocation list {_clip(crl_problem)}. Fix: point it at the CRL your client CA publishes "
                "(PEM or DER), relative to the project root, or remove the field."
            )
    return problems


# -- environments ---------------------------------------------------------------------------------


def load_environment(
    path: Path, *, display_root: Path | None = None, allowed_roots: Sequence[Path] = ()
) -> LoadedEnvironment:
    """Parse and validate one environment file, or raise :class:`ConfigError`.

    The file itself must resolve (symbolic links followed) inside its own folder, ``display_root`` or one
    of ``allowed_roots``."""
    source, name, data = _read_settings(path, display_root, allowed_roots, example="environments/dev.yaml",
                                        first_field="account_id")
    try:
        config = EnvironmentConfig.model_validate(data)
    except ValidationError as exc:
        raise ConfigError(format_validation_error(source, data, exc)) from None
    problems = _check_files(source, config, PROJECT_ROOT)
    if problems:
        raise ConfigError(problems)
    if name == "local" and config.emulator is None:
        raise ConfigError(
            [
                f"{source}: emulator = (missing): the local environment deploys to the emulator. "
                "Fix: add 'emulator: {endpoint: http://127.0.0.1:5000}'."
            ]
        )
    return LoadedEnvironment(name=name, source=source, config=config)


def _read_settings(path: Path, display_root: Path | None, allowed_roots: Sequence[Path], *, example: str,
                   first_field: str) -> tuple[str, str, dict[Any, Any]]:
    """The checks every settings file gets before its model sees it: name, location, size, encoding, YAML, a
    mapping at the top. Returns (shown source, name, data)."""
    source = _display(path, display_root)
    name = path.stem
    if not ENV_NAME.match(name):
        raise ConfigError(
            [
                f"{source}: (file name) = {shown(name)}: an environment name becomes the stack name. "
                "Fix: rename the file to lowercase letters, digits and dashes, e.g. environments/dev.yaml."
            ]
        )
    roots = [path.parent.resolve(), *(r.resolve() for r in allowed_roots)]
    if display_root is not None:
        roots.append(display_root.resolve())
    real = _resolve(path)
    if real is None:
        raise ConfigError(
            [f"{source}: (file) = {shown(str(path))}: a loop of symbolic links. Fix: replace the link by the file."]
        )
    if not _inside(real, roots):
        raise ConfigError(
            [
                f"{source}: (file) = {shown(str(path))}: the environment file is a symbolic link to "
                f"{_clip(str(real), 200)}, outside the project. Fix: copy the file into {path.parent.name}/ "
                "instead of linking it."
            ]
        )
    if real.exists() and not real.is_file():
        raise ConfigError(
            [f"{source}: (file) = {shown(str(path))}: not a regular file. Fix: make it a YAML file."]
        )
    data = _parse(source, _read_text(real, source))
    if data is None:
        raise ConfigError(
            [
                f"{source}: (top level) = (empty file): the file holds no settings. "
                f"Fix: copy {example} and adapt it."
            ]
        )
    if not isinstance(data, dict):
        raise ConfigError(
            [
                f"{source}: (top level) = {type(data).__name__}: the file must be a mapping of settings. "
                f"Fix: start with '{first_field}: ...' at column 1, as in {example}."
            ]
        )
    return source, name, data


# -- the organization -----------------------------------------------------------------------------


def is_organization_file(path: Path) -> bool:
    """``organization.yaml`` and ``organization-<name>.yaml`` describe an AWS Organization
    (:class:`OrganizationConfig`); every other ``*.yaml`` is a workload environment."""
    return bool(ORGANIZATION_FILE.match(path.stem))


def load_organization(
    path: Path, *, display_root: Path | None = None, allowed_roots: Sequence[Path] = ()
) -> LoadedOrganization:
    """Parse and validate one organization file (the same file checks as an environment), or raise
    :class:`ConfigError`. The cross-checks against the environment files are :func:`check_organization`'s."""
    source, name, data = _read_settings(path, display_root, allowed_roots, example="environments/organization.yaml",
                                        first_field="management_account_id")
    try:
        config = OrganizationConfig.model_validate(data)
    except ValidationError as exc:
        raise ConfigError(format_validation_error(source, data, exc, OrganizationConfig)) from None
    if name.endswith("-local") and config.emulator is None:
        raise ConfigError(
            [
                f"{source}: emulator = (missing): {name} deploys to the emulator, like the local environment. "
                "Fix: add 'emulator: {endpoint: http://127.0.0.1:5055}' (the endpoint of environments/local.yaml)."
            ]
        )
    return LoadedOrganization(name=name, source=source, config=config)


def check_organization(organization: LoadedOrganization, environments: dict[str, LoadedEnvironment],
                       available: Sequence[str]) -> list[str]:
    """The organization against the environment files it names: each exists, is deployed where the
    organization says (account, emulator or cloud), and runs in an allowed region."""
    source, config = organization.source, organization.config
    allowed = config.guardrails.allowed_regions
    problems = []
    outside: dict[str, list[str]] = {}  # region -> the environment files running there
    for name, account in config.workloads.items():
        where = f"{source}: workloads.{name}"
        if name not in available:
            problems.append(f"{where} = {shown(name)}: no environment file environments/{name}.yaml. Fix: name an "
                            f"environment of environments/ ({', '.join(available) or 'none'}) or add the file.")
            continue
        environment = environments.get(name)
        if environment is None:
            continue  # its own problems are reported where it was loaded
        env = environment.config
        if env.is_emulated != config.is_emulated:
            kind, home = (("the emulator", "environments/organization-local.yaml") if env.is_emulated
                          else ("a cloud account", "environments/organization.yaml"))
            problems.append(
                f"{where} = {shown(name)}: environments/{name}.yaml deploys to {kind}, but this organization "
                f"is {'emulated' if config.is_emulated else 'a cloud organization'}. Fix: list it in {home} "
                "instead (an organization is either emulated or in the cloud, like its environments)."
            )
            continue
        if account.account_id is not None and account.account_id != env.account_id:
            problems.append(
                f"{where}.account_id = {shown(account.account_id)}: environments/{name}.yaml deploys to account "
                f"{env.account_id}, so the guardrails would fence another account. Fix: set it to "
                f"\"{env.account_id}\" (or correct the environment file)."
            )
        if env.region not in allowed:
            outside.setdefault(env.region, []).append(f"environments/{name}.yaml")
        problems.extend(_delegation_problems(organization, environment))
    for region, files in sorted(outside.items()):
        problems.append(
            f"{source}: guardrails.allowed_regions = {shown(allowed)}: {', '.join(files)} "
            f"run{'s' if len(files) == 1 else ''} in {region}, which the region allow-list would deny. "
            f"Fix: add {region} to allowed_regions."
        )
    return problems


def _delegation_problems(organization: LoadedOrganization, environment: LoadedEnvironment) -> list[str]:
    """An environment's ``delegated_accounts`` against the organization's ``security_accounts``: the same accounts,
    given by id (the organization stack assumes a role in them, so it must know them before it creates anything)."""
    delegated = environment.config.delegated_accounts
    if delegated is None:
        return []
    problems = []
    accounts = organization.config.security_accounts
    for role in ("log_archive", "security_tooling"):
        named = getattr(delegated, role)
        if named is None:
            continue
        where = f"{environment.source}: delegated_accounts.{role} = {shown(named)}"
        account = getattr(accounts, role)
        if account is None or account.account_id is None:
            problems.append(
                f"{where}: {organization.source} has no security_accounts.{role} with an account_id, so the "
                f"organization stack cannot build what the environment delivers to. Fix: add security_accounts."
                f"{role}: {{account_id: \"{named}\", name: ..., email: ...}} to {organization.source} (create the "
                "account first if it does not exist: deploy the organization without delegated_accounts, then give "
                "its id), or remove the field.")
        elif account.account_id != named:
            problems.append(
                f"{where}: {organization.source} says security_accounts.{role}.account_id is "
                f"\"{account.account_id}\", so the environment would deliver to an account the organization does not "
                f"prepare. Fix: set it to \"{account.account_id}\" (or correct the organization file).")
    return problems


def delegations(organization: LoadedOrganization,
                environments: dict[str, LoadedEnvironment]) -> list[EnvironmentDelegation]:
    """The organization's workload environments that delegate (checked by :func:`check_organization`)."""
    found = []
    for name in sorted(organization.config.workloads):
        environment = environments.get(name)
        delegated = environment.config.delegated_accounts if environment is not None else None
        if environment is None or delegated is None:
            continue
        found.append(EnvironmentDelegation(
            environment=name, account_id=environment.config.account_id, region=environment.config.region,
            object_lock_days=environment.config.logging.archive_object_lock_days,
            log_archive=delegated.log_archive is not None, security_tooling=delegated.security_tooling is not None))
    return found


def _display(path: Path, root: Path | None) -> str:
    """``path`` relative to ``root`` for messages (the link's own name when it is a symbolic link)."""
    if root is not None:
        for candidate, base in ((path.absolute(), root.absolute()),
                                (path.parent.resolve() / path.name, root.resolve())):
            try:
                return str(candidate.relative_to(base))
            except (ValueError, OSError, RuntimeError):
                continue
    return str(path)


def discover(environments_dir: Path) -> list[Path]:
    """Every ``*.yaml`` of the folder, a symbolic link too (even a broken one: it is reported, not skipped)."""
    return sorted(p for p in environments_dir.glob("*.yaml") if p.is_file() or p.is_symlink())


class Selection(NamedTuple):
    """The validated files of one run: workload environments and organizations."""

    environments: list[LoadedEnvironment]
    organizations: list[LoadedOrganization]


def load_selection(
    environments_dir: Path, *, only: Sequence[str] | None = None, display_root: Path | None = None
) -> Selection:
    """Validate every selected file -- ``organization*.yaml`` as an :class:`OrganizationConfig`, every other file as
    an :class:`EnvironmentConfig` -- and cross-check each organization against the environment files it names;
    collect all problems before failing."""
    paths = discover(environments_dir)
    available = [p.stem for p in paths]
    if only:
        unknown = [name for name in only if name not in available]
        if unknown:
            raise ConfigError(
                [
                    f"ZTAI_ENVIRONMENTS = {shown(','.join(only))}: no environment file for "
                    f"{_clip(', '.join(unknown))}. "
                    f"Fix: choose from {', '.join(available)} or add environments/<name>.yaml."
                ]
            )
    selected = [p for p in paths if not only or p.stem in only]
    if not selected:
        raise ConfigError([f"{environments_dir}: (directory) = no *.yaml files. Fix: add environments/<name>.yaml."])
    loaded: dict[str, LoadedEnvironment] = {}
    organizations: list[LoadedOrganization] = []
    problems: list[str] = []
    for path in selected:
        try:
            if is_organization_file(path):
                organizations.append(load_organization(path, display_root=display_root,
                                                       allowed_roots=[environments_dir]))
            else:
                loaded[path.stem] = load_environment(path, display_root=display_root, allowed_roots=[environments_dir])
        except ConfigError as exc:
            problems.extend(exc.problems)
    # an organization is checked against the environments it names, selected or not
    workloads = {p.stem: p for p in paths if not is_organization_file(p)}
    named = {name for organization in organizations for name in organization.config.workloads}
    referenced = dict(loaded)
    for name in sorted(named - {p.stem for p in selected}):  # a selected file reported its own problems already
        if name in workloads:
            try:
                referenced[name] = load_environment(workloads[name], display_root=display_root,
                                                    allowed_roots=[environments_dir])
            except ConfigError as exc:
                problems.extend(exc.problems)
    for organization in organizations:
        problems.extend(check_organization(organization, referenced, sorted(workloads)))
    # every organization file decides what a selected environment synthesizes (its endpoint perimeter), selected or not
    members: list[LoadedOrganization] = list(organizations)
    for path in paths:
        if is_organization_file(path) and path not in selected and loaded:
            try:
                members.append(load_organization(path, display_root=display_root, allowed_roots=[environments_dir]))
            except ConfigError as exc:
                problems.extend(exc.problems)
    memberships, membership_problems = organization_memberships(members)
    problems.extend(membership_problems)
    # an organization file that did not load makes no member: its own problem is then the one to fix
    organizations_loaded = not problems
    for name, environment in sorted(loaded.items()):
        if organizations_loaded and environment.config.delegated_accounts is not None and name not in memberships:
            problems.append(
                f"{environment.source}: delegated_accounts = "
                f"{shown(environment.config.delegated_accounts.model_dump(exclude_none=True))}: no cloud "
                f"organization file names {shown(name)} among "
                "its workloads, and only a member account can deliver to the organization's accounts. Fix: add "
                f"{name} to the workloads of environments/organization.yaml, or remove delegated_accounts.")
    if problems:
        raise ConfigError(list(dict.fromkeys(problems)))  # a file two selections depend on is reported once

    def member(environment: LoadedEnvironment) -> WorkloadOrganization | None:
        membership = memberships.get(environment.name)
        delegated = environment.config.delegated_accounts
        if membership is None or delegated is None:
            return membership
        return membership.model_copy(update={"log_archive_account_id": delegated.log_archive,
                                             "security_tooling_account_id": delegated.security_tooling})

    return Selection(environments=[loaded[p.stem].model_copy(update={"organization": member(loaded[p.stem])})
                                   for p in selected if p.stem in loaded],
                     organizations=[o.model_copy(update={"delegations": delegations(o, referenced)})
                                    for o in organizations])


def organization_memberships(organizations: Sequence[LoadedOrganization]
                             ) -> tuple[dict[str, WorkloadOrganization], list[str]]:
    """Which cloud organization each workload environment belongs to (an account is a member of one organization at
    most). Emulated organizations make no member: their environments' stacks run in the emulator's management
    account, not in the member account the emulator creates."""
    memberships: dict[str, WorkloadOrganization] = {}
    sources: dict[str, str] = {}
    problems = []
    for organization in sorted(organizations, key=lambda o: o.source):
        for name in organization.config.workloads:
            if name in sources:
                problems.append(
                    f"{organization.source}: workloads.{name} = {shown(name)}: {sources[name]} names it too, and an "
                    "account is a member of one organization only. Fix: keep it in one of the two files.")
                continue
            sources[name] = organization.source
            if organization.config.is_emulated:
                continue
            memberships[name] = WorkloadOrganization(
                source=organization.source, management_account_id=organization.config.management_account_id,
                existing_organization_id=organization.config.existing_organization_id)
    return memberships, problems


def load_all(
    environments_dir: Path, *, only: Sequence[str] | None = None, display_root: Path | None = None
) -> list[LoadedEnvironment]:
    """Validate every selected file (organization files too: see :func:`load_selection`); return the workload
    environments."""
    return load_selection(environments_dir, only=only, display_root=display_root).environments
