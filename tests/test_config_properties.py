"""Property: whatever a valid environment file is mutated into, the configuration edge keeps its contract.

Each example takes one of the shipped environment files, applies structured mutations (wrong types,
deleted fields, values swapped between fields, renamed keys, junk strings, huge numbers, the emulator
section of ``local.yaml``) and then textual ones (non-UTF-8 bytes, YAML syntax, aliases, tags, control
characters, truncation). The result is either still a valid configuration (rare; then only the loader
runs, never a synthesis) or it is refused with:

* exit code 2 from the entry point (``stacks.synth.main``, which ``main.py`` exits with),
* one-line messages ``<file>: <path> = <value>: <problem>. Fix: <fix>.``, at most MAX_PROBLEMS and a count,
* no traceback and no exception other than the configuration error,
* nothing written: an earlier ``cdktf.out`` and the whole project folder stay as they were,
* bounded cost per example: CPU time and peak Python allocation (tracemalloc) are measured.

A structured mutation is also checked against class 6 of issue 15: the path of every message, but its
last part, exists in the file as written (no union member tag appears in it, and no part vanishes).

CI runs it with a fixed seed and a bounded number of examples (``ZTAI_HYPOTHESIS_EXAMPLES`` overrides the
number for a longer local run). The example database is off and Hypothesis' other caches go to the
temporary folder, so nothing is written into the repository.
"""

from __future__ import annotations

import contextlib
import copy
import io
import os
import tempfile
import time
import tracemalloc
from pathlib import Path
from typing import Any

import pytest
import yaml
from hypothesis import HealthCheck, event, given, seed, settings
from hypothesis import strategies as st
from hypothesis.configuration import set_hypothesis_home_dir
from pydantic import ValidationError

from stacks import synth
from stacks.config.loader import MAX_PROBLEMS, ConfigError, _locate, _lookup, load_all
from stacks.config.model import EnvironmentConfig

PROJECT_ROOT = Path(__file__).resolve().parent.parent
set_hypothesis_home_dir(Path(tempfile.gettempdir()) / "ztai-hypothesis")  # not <cwd>/.hypothesis
SOURCES = {name: (PROJECT_ROOT / "environments" / f"{name}.yaml").read_text(encoding="utf-8")
           for name in ("dev", "local", "prod", "staging")}
PARSED = {name: yaml.safe_load(text) for name, text in SOURCES.items()}
EXAMPLES = int(os.environ.get("ZTAI_HYPOTHESIS_EXAMPLES", "150"))
MAX_CPU_SECONDS = 2.0  # per example, for loader + entry point together (measured: well under 0.1 s)
MAX_PEAK_BYTES = 64 * 1024 * 1024  # peak Python allocation of one load

PROPERTY_SETTINGS = settings(
    max_examples=EXAMPLES, deadline=None, database=None, derandomize=False, print_blob=True,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture, HealthCheck.data_too_large],
)


def _all_paths(node: Any, prefix: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    paths = [prefix] if prefix else []
    if isinstance(node, dict):
        for key, value in node.items():
            paths += _all_paths(value, (*prefix, key))
    elif isinstance(node, list):
        for index, value in enumerate(node):
            paths += _all_paths(value, (*prefix, index))
    return paths


PATHS = {name: _all_paths(data) for name, data in PARSED.items()}

# Values that look right somewhere (so a swap or a set can land on a near miss) and plain junk.
NEAR_MISSES = [
    "eu-west-4", "us-gov-north-1", "cn-south-1", "zt..state", "192.168.1.1", "xn--state", "../outside.pem",
    "/etc/passwd", "environments/pki/nope.pem", "README.md", "arn:aws:iam::111111111111:root",
    "arn:aws:iam::111111111111:user/bob", "arn:aws:acm:eu-west-1:1:x", "0.0.0.0/0", "10.0.0.0/8", "8.8.0.0/16",
    "local", "s3", "private_ca", "imported", "123456789012", "http://0.0.0.0:5055", "m5.large", "", " ", "~",
    "2024-02-30", "[key]", "s3.local", "true", "null", "\u202e", "\x00", "a\nb",
]
SCALARS = st.one_of(
    st.none(), st.booleans(), st.integers(), st.integers(min_value=10**20, max_value=10**60),
    st.integers(min_value=4000, max_value=4250).map(lambda digits: 10**digits),
    st.floats(allow_nan=True, allow_infinity=True), st.text(max_size=30),
    st.text(min_size=500, max_size=3000), st.binary(max_size=16), st.dates(), st.sampled_from(NEAR_MISSES),
)
JUNK = st.recursive(SCALARS, lambda inner: st.one_of(
    st.lists(inner, max_size=4), st.dictionaries(st.one_of(st.text(max_size=10), st.integers()), inner, max_size=4),
), max_leaves=8)

TEXT_SNIPPETS = [
    "[", "]", "{", "}", ": ", "- ", "? ", "&a ", "*a", "*b", "&a [*a]", "? [a, b]\n: 1\n", "!!binary ", "!!timestamp ",
    "!!int ", "!!python/object/apply:os.system ", "!!set ", "<<: *a\n", "\t", "\x00", "\x07", "\ufeff", "\"", "'",
    "#", "%YAML 1.1\n---\n", "\n---\n", "\n...\n", "9" * 5000, "[" * 200, "a: &a [x, x, x]\nb: [*a, *a, *a]\n",
    "\n" + "x" * 200_000 + "\n",
]


@st.composite
def mutated_files(draw: st.DrawFn) -> tuple[str, bytes, dict[str, Any] | None]:
    """(environment name, file bytes, the structured data when no textual mutation was applied)."""
    name = draw(st.sampled_from(sorted(SOURCES)))
    data = copy.deepcopy(PARSED[name])
    paths = PATHS[name]
    for _ in range(draw(st.integers(min_value=1, max_value=3))):
        operation = draw(st.sampled_from(["set", "delete", "swap", "rename", "add", "emulator", "duplicate"]))
        path = draw(st.sampled_from(paths))
        parent, key = _parent(data, path)
        if parent is None:
            continue
        if operation == "set":
            parent[key] = draw(JUNK)
        elif operation == "delete":
            del parent[key]
        elif operation == "swap":
            other_parent, other_key = _parent(data, draw(st.sampled_from(paths)))
            if other_parent is not None:
                parent[key], other_parent[other_key] = other_parent[other_key], parent[key]
        elif operation == "rename" and isinstance(parent, dict):
            parent[draw(st.one_of(st.text(max_size=12), st.sampled_from(NEAR_MISSES), st.integers()))] = parent.pop(key)
        elif operation == "add" and isinstance(parent, dict):
            parent[draw(st.text(min_size=1, max_size=12))] = draw(JUNK)
        elif operation == "emulator":
            data["emulator"] = copy.deepcopy(PARSED["local"]["emulator"])
        elif operation == "duplicate" and isinstance(parent, list):
            parent.append(copy.deepcopy(parent[key]))
    try:
        text = yaml.safe_dump(data, allow_unicode=draw(st.booleans()), sort_keys=False)
    except (ValueError, yaml.YAMLError):  # an int beyond str()'s digit limit: write the text by hand
        text = SOURCES[name] + "huge: " + "9" * 5000 + "\n"
    raw = text.encode("utf-8")
    textual = draw(st.integers(min_value=0, max_value=2))
    for _ in range(textual):
        position = draw(st.integers(min_value=0, max_value=len(raw)))
        kind = draw(st.sampled_from(["insert", "bytes", "delete", "truncate", "duplicate-line"]))
        if kind == "insert":
            raw = raw[:position] + draw(st.sampled_from(TEXT_SNIPPETS)).encode("utf-8") + raw[position:]
        elif kind == "bytes":
            raw = raw[:position] + draw(st.binary(min_size=1, max_size=6)) + raw[position:]
        elif kind == "delete":
            raw = raw[:position] + raw[position + draw(st.integers(min_value=1, max_value=40)):]
        elif kind == "truncate":
            raw = raw[:position]
        else:
            lines = raw.split(b"\n")
            index = draw(st.integers(min_value=0, max_value=len(lines) - 1))
            raw = b"\n".join([*lines[: index + 1], lines[index], *lines[index + 1:]])
    return name, raw, data if textual == 0 else None


def _parent(data: Any, path: tuple[Any, ...]) -> tuple[Any, Any]:
    node = data
    for part in path[:-1]:
        try:
            node = node[part]
        except (KeyError, IndexError, TypeError):
            return None, None
    last = path[-1]
    if (isinstance(node, dict) and last in node) or (isinstance(node, list) and isinstance(last, int)
                                                     and 0 <= last < len(node)):
        return node, path[-1]
    return None, None


def _tree(root: Path) -> dict[str, tuple[int, int]]:
    return {str(p.relative_to(root)): (p.lstat().st_size, p.lstat().st_mtime_ns) for p in root.rglob("*")}


def _assert_clear(problems: list[str], name: str) -> None:
    assert 1 <= len(problems) <= MAX_PROBLEMS + 1, problems
    for problem in problems:
        assert problem.startswith(f"environments/{name}.yaml: "), problem
        assert " = " in problem and ". Fix: " in problem and problem.endswith("."), problem
        assert "\n" not in problem and "Traceback" not in problem, problem
        assert len(problem) < 2000, problem


def _assert_paths_exist(data: dict[str, Any]) -> None:
    """Class 6: every message path, but its last part, is a path of the data as written."""
    try:
        EnvironmentConfig.model_validate(data)
    except ValidationError as exc:
        for error in exc.errors(include_url=False):
            original = error.get("ctx", {}).get("error")
            location = _locate(error["loc"], getattr(original, "field", ()))
            if error["type"] == "invalid_key":
                continue  # pydantic gives the key as str(); the message shows it as written
            parent = location.steps[:-1]
            assert not parent or _lookup(data, parent) is not None, (error, location.steps)


@pytest.fixture(autouse=True)
def _clean_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    for variable in ("CDKTF_OUTDIR", synth.ENV_SELECTION, synth.ENV_DIR):
        monkeypatch.delenv(variable, raising=False)


@seed(15)
@PROPERTY_SETTINGS
@given(example=mutated_files())
def test_mutated_environment_files_keep_the_contract(example: tuple[str, bytes, dict[str, Any] | None]) -> None:
    name, raw, data = example
    with tempfile.TemporaryDirectory() as folder:
        project = Path(folder)
        (project / "environments").mkdir()
        (project / "environments" / f"{name}.yaml").write_bytes(raw)
        earlier = project / "cdktf.out" / "stacks" / name / "cdk.tf.json"
        earlier.parent.mkdir(parents=True)
        earlier.write_text('{"earlier": true}', encoding="utf-8")
        before = _tree(project)

        started = time.process_time()
        tracemalloc.start()
        try:
            load_all(project / "environments", display_root=project)
            problems = None  # still a valid configuration: nothing more to check, never synthesized
        except ConfigError as exc:
            problems = exc.problems
        finally:
            _, peak = tracemalloc.get_traced_memory()
            tracemalloc.stop()
        assert peak < MAX_PEAK_BYTES, f"{peak / 2**20:.0f} MiB"
        event("valid" if problems is None else f"refused: {problems[0].split(': ', 2)[1].split(' = ')[0][:40]}")
        if problems is not None:
            _assert_clear(problems, name)
            err = io.StringIO()
            with contextlib.redirect_stderr(err), contextlib.redirect_stdout(io.StringIO()) as out:
                code = synth.main(project_root=project)
            assert code == 2, err.getvalue()
            assert "Traceback" not in err.getvalue() and out.getvalue() == ""
            assert "nothing was synthesized" in err.getvalue()
        assert time.process_time() - started < MAX_CPU_SECONDS
        assert _tree(project) == before, "nothing may be written"
    if data is not None:
        _assert_paths_exist(data)
