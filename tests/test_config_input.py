"""Hostile environment files (issue 15, classes 2, 3 and 4): no traceback, bounded cost, no path that
leaves the project -- and the whole contract for a representative case of every class, through the real
entry point `python main.py` in a fresh copy of the project, with its time and memory measured.

* class 2 -- YAML that PyYAML can parse but not construct (list/mapping keys, impossible dates, ...) and
  files that are not UTF-8 give a message, not a traceback;
* class 3 -- size, nesting, alias expansion and the number of reported problems are bounded;
* class 4 -- paths are resolved (symbolic links included) before the inside-the-project check.
"""

from __future__ import annotations

import copy
import datetime as dt
import os
import resource
import shutil
import subprocess
import sys
import tempfile
import time
import typing
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import yaml
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID
from pydantic import BaseModel

from stacks import synth
from stacks.config import loader
from stacks.config.loader import MAX_FILE_BYTES, MAX_NESTING, MAX_PROBLEMS, MAX_VALUES, load_all, project_paths
from stacks.config.model import EnvironmentConfig
from tests.test_config_errors import GOOD, GOOD_LOCAL

PROJECT_ROOT = Path(__file__).resolve().parent.parent
GOOD_TEXT = (PROJECT_ROOT / "environments" / "dev.yaml").read_text(encoding="utf-8")
END = len(GOOD_TEXT.splitlines()) + 1  # the line of anything appended to the file
VCPUS = GOOD_TEXT.splitlines().index("  max_vcpus: 32") + 1  # the line of training.max_vcpus

BOMB = "".join(
    f"{name}: &{name} [{', '.join([f'*{previous}'] * 10 if previous else ['lol'] * 10)}]\n"
    for previous, name in zip([None, *"abcdefgh"], "abcdefghi", strict=True)
)  # 10**9 values once expanded ("billion laughs")
JUNK_5MB = "".join(f"junk_{i:07d}: {i}\n" for i in range(5 * 1024 * 1024 // 20))


@pytest.fixture(autouse=True)
def _clean_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    for variable in ("CDKTF_OUTDIR", synth.ENV_SELECTION, synth.ENV_DIR):
        monkeypatch.delenv(variable, raising=False)


def _tree(root: Path) -> dict[str, tuple[int, int]]:
    """Every path under ``root`` with its size and modification time (symbolic links not followed)."""
    return {str(p.relative_to(root)): (p.lstat().st_size, p.lstat().st_mtime_ns) for p in root.rglob("*")}


def _with_earlier_output(project: Path) -> Path:
    earlier = project / "cdktf.out" / "stacks" / "dev" / "cdk.tf.json"
    earlier.parent.mkdir(parents=True, exist_ok=True)
    earlier.write_text('{"earlier": true}', encoding="utf-8")
    return earlier


def _problems(project: Path, capsys: pytest.CaptureFixture[str]) -> list[str]:
    """Run the entry point in-process on ``project``: exit 2, no traceback, nothing written."""
    _with_earlier_output(project)
    before = _tree(project)
    assert synth.main(project_root=project) == 2
    err = capsys.readouterr().err
    assert "Traceback" not in err and "nothing was synthesized" in err, err
    assert _tree(project) == before, "the project changed"
    return [line[4:] for line in err.splitlines() if line.startswith("  - ")]


def _write(project: Path, content: str | bytes, name: str = "dev") -> Path:
    target = project / "environments" / f"{name}.yaml"
    target.parent.mkdir(parents=True, exist_ok=True)
    if isinstance(content, bytes):
        target.write_bytes(content)
    else:
        target.write_text(content, encoding="utf-8")
    return target


def _one(problems: list[str], *fragments: str) -> str:
    assert len(problems) == 1, problems
    for fragment in fragments:
        assert fragment in problems[0], f"{fragment!r} not in {problems[0]!r}"
    assert ". Fix: " in problems[0] and problems[0].endswith("."), problems[0]
    return problems[0]


# -- class 2: messages instead of tracebacks ------------------------------------------------------------

TRACEBACK_CASES: list[tuple[str, str | bytes, list[str]]] = [
    ("list-as-key", GOOD_TEXT + "? [a, b]\n: 1\n",
     [f"environments/dev.yaml: (YAML at line {END}, column 3) = '? [a, b]': a list is used as a key",
      "Fix: use a plain name as the key"]),
    ("mapping-as-key", GOOD_TEXT + "? {a: 1}\n: 1\n", [f"(YAML at line {END}, column 3)", "a dict is used as a key"]),
    ("flow-list-as-nested-key", "network: {[training]: 10.0.0.0/16}\n",
     ["(YAML at line 1, column 11)", "a list is used as a key"]),
    ("not-utf8", GOOD_TEXT.encode() + b"owner2: caf\xe9\n",
     [f"environments/dev.yaml: (file encoding) = byte 0xe9 at line {END}, column 12: the file is not UTF-8 text",
      "Fix: save the file as UTF-8"]),
    ("utf16", GOOD_TEXT.encode("utf-16"), ["(file encoding) = byte 0xff at line 1, column 1", "not UTF-8"]),
    ("impossible-date", GOOD_TEXT.replace('account_id: "111111111111"', "account_id: 2024-02-30"),
     ["(YAML at line 2, column 13) = 'account_id: 2024-02-30': the value '2024-02-30' cannot be read as YAML "
      "type timestamp", "Fix: quote the value to keep it as text"]),
    ("integer-beyond-the-digit-limit", GOOD_TEXT.replace("max_vcpus: 32", "max_vcpus: " + "9" * 5000),
     [f"(YAML at line {VCPUS}, column 14)", "cannot be read as YAML type int", "Fix:"]),
    ("bad-explicit-timestamp", GOOD_TEXT.replace("max_vcpus: 32", "max_vcpus: !!timestamp soon"),
     [f"(YAML at line {VCPUS}, column 14)", "'soon' cannot be read as YAML type timestamp"]),
    ("bad-explicit-int", GOOD_TEXT.replace("max_vcpus: 32", "max_vcpus: !!int lots"),
     ["'lots' cannot be read as YAML type int"]),
    ("python-object-tag", GOOD_TEXT.replace("max_vcpus: 32", "max_vcpus: !!python/object/apply:os.system [ls]"),
     [f"(YAML at line {VCPUS}, column 14)", "could not determine a constructor"]),
    ("control-character", GOOD_TEXT.replace("max_vcpus: 32", "max_vcpus: 3\x072"),
     [f"(YAML at line {VCPUS}, column 15)", "control character U+0007"]),
    ("non-text-top-level-key", GOOD_TEXT + "2024-01-01: x\n",
     ["environments/dev.yaml: 2024-01-01 = datetime.date(2024, 1, 1): a setting name must be text, but YAML reads "
      "this one as date", "Fix: quote the name"]),
    ("null-key", GOOD_TEXT + "~: x\n", ["environments/dev.yaml: null = None: ", "as NoneType", "Fix:"]),
]


@pytest.mark.parametrize(("case_id", "content", "fragments"), TRACEBACK_CASES, ids=[c[0] for c in TRACEBACK_CASES])
def test_unconstructable_yaml_is_a_message(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], case_id: str, content: str | bytes, fragments: list[str]
) -> None:
    _write(tmp_path, content)
    _one(_problems(tmp_path, capsys), *fragments)


def test_a_byte_order_mark_and_merge_keys_are_still_fine(tmp_path: Path) -> None:
    text = GOOD_TEXT.replace("tags:\n", "tags:\n  <<: {owner: someone-else, tier: dev}\n")
    _write(tmp_path, "\ufeff" + text)
    (loaded,) = load_all(tmp_path / "environments", display_root=tmp_path)
    assert loaded.config.tags["tier"] == "dev" and loaded.config.tags["owner"] == "platform-team"


# -- class 3: bounded input and output -------------------------------------------------------------------

BOUND_CASES: list[tuple[str, str, list[str]]] = [
    ("alias-bomb", BOMB, ["(YAML at line", f"expands to more than {MAX_VALUES} values", "Fix: write the settings out"]),
    ("alias-bomb-in-a-real-file", GOOD_TEXT + BOMB,
     [f"expands to more than {MAX_VALUES} values"]),
    ("recursive-list-alias", "a: &a [1, *a]\n", ["(YAML at line 1, column 4)", "a cycle", "Fix:"]),
    ("recursive-mapping-alias", "a: &a {b: *a}\n", ["a cycle"]),
    ("deep-flow-list", "a: " + "[" * 20_000 + "]" * 20_000 + "\n",
     [f"nested more than {MAX_NESTING} levels deep", "Fix: remove the extra brackets"]),
    ("deep-flow-mapping", "a: " + "{b: " * 5_000 + "1" + "}" * 5_000 + "\n", ["nested more than"]),
    ("deep-block-mapping", "".join(" " * i + f"k{i}:\n" for i in range(200)), ["nested more than"]),
    ("five-megabytes-of-junk-keys", JUNK_5MB,
     [f"environments/dev.yaml: (file size) = more than {MAX_FILE_BYTES // 1024} KiB", "Fix:"]),
    ("just-too-many-values", "".join(f"k{i}: [{i}]\n" for i in range(MAX_VALUES // 3 + 1)),
     [f"expands to more than {MAX_VALUES} values"]),
]


@pytest.mark.parametrize(("case_id", "content", "fragments"), BOUND_CASES, ids=[c[0] for c in BOUND_CASES])
def test_input_is_bounded(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], case_id: str, content: str, fragments: list[str]
) -> None:
    _write(tmp_path, content)
    started = time.process_time()
    message = _one(_problems(tmp_path, capsys), *fragments)
    assert time.process_time() - started < 3, "bounded input must be refused quickly"
    assert len(message) < 1000


def test_the_number_of_problems_shown_is_bounded(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    _write(tmp_path, GOOD_TEXT + "".join(f"junk_{i}: {i}\n" for i in range(2000)))
    problems = _problems(tmp_path, capsys)
    assert len(problems) == MAX_PROBLEMS + 1
    assert all(p.startswith("environments/dev.yaml: junk_") and "unknown field" in p for p in problems[:-1])
    assert problems[-1] == (
        f"environments/dev.yaml: (more) = {2000 - MAX_PROBLEMS} more problem(s) not shown: only the first "
        f"{MAX_PROBLEMS} are listed. Fix: correct the problems above and run again."
    )


@pytest.mark.parametrize("where", ["value", "key"])
def test_huge_values_and_keys_are_quoted_in_part(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], where: str
) -> None:
    data = copy.deepcopy(GOOD)
    if where == "value":
        data["training"]["gpu_instance_types"] = ["g" * 100_000]
        start = "environments/dev.yaml: training.gpu_instance_types[0] = 'ggggg"
    else:
        data["network"]["k" * 100_000] = 1
        start = "environments/dev.yaml: network.kkkkk"
    _write(tmp_path, yaml.safe_dump(data, width=200_000))
    message = _one(_problems(tmp_path, capsys))
    assert message.startswith(start) and "..." in message
    assert len(message) < 1500


# -- class 4: paths that leave the project ---------------------------------------------------------------


def _project(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A project folder of its own (environments + PKI), used as the loader's project root."""
    project = tmp_path / "project"
    shutil.copytree(PROJECT_ROOT / "environments", project / "environments")
    monkeypatch.setattr(loader, "PROJECT_ROOT", project)
    for name in ("local", "prod", "staging", "organization", "organization-local"):
        (project / "environments" / f"{name}.yaml").unlink(missing_ok=True)
    return project


def test_environment_file_linked_from_outside_is_refused(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    outside = tmp_path / "elsewhere" / "dev.yaml"
    outside.parent.mkdir()
    outside.write_text(GOOD_TEXT, encoding="utf-8")
    project = tmp_path / "project"
    (project / "environments").mkdir(parents=True)
    (project / "environments" / "dev.yaml").symlink_to(outside)
    _one(_problems(project, capsys), "environments/dev.yaml: (file) = ", "symbolic link to", str(outside),
         "outside the project", "Fix: copy the file into environments/")


def test_environment_file_linked_inside_the_project_is_loaded(tmp_path: Path) -> None:
    (tmp_path / "shared").mkdir()
    (tmp_path / "shared" / "base.yaml").write_text(GOOD_TEXT, encoding="utf-8")
    (tmp_path / "environments").mkdir()
    (tmp_path / "environments" / "dev.yaml").symlink_to(Path("..") / "shared" / "base.yaml")
    (loaded,) = load_all(tmp_path / "environments", display_root=tmp_path)
    assert loaded.name == "dev" and loaded.source == "environments/dev.yaml"


@pytest.mark.parametrize(("link", "fragment"), [("missing.yaml", "cannot be read"), ("dev.yaml", "loop")])
def test_broken_environment_links_are_reported_not_skipped(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], link: str, fragment: str
) -> None:
    (tmp_path / "environments").mkdir()
    (tmp_path / "environments" / "dev.yaml").symlink_to(link)
    _one(_problems(tmp_path, capsys), "environments/dev.yaml: (file) = ", fragment)


def _ca_pem(*, not_before: dt.datetime, not_after: dt.datetime) -> bytes:
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "test client CA")])
    certificate = (
        x509.CertificateBuilder().subject_name(name).issuer_name(name).public_key(key.public_key())
        .serial_number(x509.random_serial_number()).not_valid_before(not_before).not_valid_after(not_after)
        .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
        .sign(key, hashes.SHA256())
    )
    return certificate.public_bytes(serialization.Encoding.PEM)


def _crl_pem() -> bytes:
    key = ec.generate_private_key(ec.SECP256R1())
    now = dt.datetime.now(dt.UTC)
    crl = (
        x509.CertificateRevocationListBuilder()
        .issuer_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "test client CA")]))
        .last_update(now).next_update(now + dt.timedelta(days=7)).sign(key, hashes.SHA256())
    )
    return crl.public_bytes(serialization.Encoding.PEM)


def _link_outside(project: Path, relative: str, content: bytes) -> Path:
    outside = project.parent / "outside" / Path(relative).name
    outside.parent.mkdir(exist_ok=True)
    outside.write_bytes(content)
    target = project / relative
    target.unlink(missing_ok=True)
    target.symlink_to(outside)
    return outside


def _set_crl(project: Path, relative: str) -> None:
    data = yaml.safe_load((project / "environments" / "dev.yaml").read_text(encoding="utf-8"))
    data["serving"]["client_revocation_list_file"] = relative
    _write(project, yaml.safe_dump(data))


def test_client_ca_bundle_linked_from_outside_is_refused(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    project = _project(tmp_path, monkeypatch)
    bundle = (project / "environments" / "pki" / "dev-client-ca.pem").read_bytes()
    outside = _link_outside(project, "environments/pki/dev-client-ca.pem", bundle)  # a valid CA, but elsewhere
    _one(_problems(project, capsys),
         "environments/dev.yaml: serving.client_ca_bundle_file = 'environments/pki/dev-client-ca.pem': the path "
         f"resolves to {outside}, outside the project", "Fix: copy the file into the project")


def test_pki_folder_linked_from_outside_is_refused(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    project = _project(tmp_path, monkeypatch)
    pki = project / "environments" / "pki"
    shutil.move(pki, tmp_path / "pki-elsewhere")
    pki.symlink_to(tmp_path / "pki-elsewhere")
    _one(_problems(project, capsys), "serving.client_ca_bundle_file = ", "outside the project")


def test_revocation_list_linked_from_outside_is_refused(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    project = _project(tmp_path, monkeypatch)
    _link_outside(project, "environments/pki/dev.crl", _crl_pem())
    _set_crl(project, "environments/pki/dev.crl")
    _one(_problems(project, capsys),
         "environments/dev.yaml: serving.client_revocation_list_file = 'environments/pki/dev.crl': the path "
         "resolves to", "outside the project")


def test_files_linked_inside_the_project_are_accepted(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    project = _project(tmp_path, monkeypatch)
    pki = project / "environments" / "pki"
    (project / "shared").mkdir()
    shutil.move(pki / "dev-client-ca.pem", project / "shared" / "ca.pem")
    (pki / "dev-client-ca.pem").symlink_to(project / "shared" / "ca.pem")
    (project / "shared" / "dev.crl").write_bytes(_crl_pem())
    _set_crl(project, "shared/dev.crl")
    (loaded,) = load_all(project / "environments", display_root=project)
    assert loaded.config.serving.client_revocation_list_file == "shared/dev.crl"


def test_emulator_credentials_outside_the_project_are_refused(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    data = copy.deepcopy(GOOD_LOCAL)
    data["emulator"]["credentials_file"] = "/home/someone/.aws/credentials"
    _write(tmp_path, yaml.safe_dump(data), name="local")
    _one(_problems(tmp_path, capsys), "environments/local.yaml: emulator.credentials_file = "
         "'/home/someone/.aws/credentials': path '/home/someone/.aws/credentials' leaves the project")


# -- class 5 (files): a client CA that cannot work ---------------------------------------------------


@pytest.mark.parametrize(("kind", "fragment"), [
    ("expired", "which expired on 2024-01-31 00:00 UTC"),
    ("not-yet-valid", "which is not valid before 2099-01-01 00:00 UTC"),
    ("fifo", "is not a regular file"),
    ("huge", "is larger than 1024 KiB"),
    ("bad-crl", "the revocation list is not a PEM or DER certificate revocation list"),
])
def test_client_pki_files_that_cannot_work_are_refused(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch, kind: str, fragment: str
) -> None:
    project = _project(tmp_path, monkeypatch)
    bundle = project / "environments" / "pki" / "dev-client-ca.pem"
    field = "serving.client_ca_bundle_file = 'environments/pki/dev-client-ca.pem'"
    if kind == "expired":
        bundle.write_bytes(_ca_pem(not_before=dt.datetime(2023, 1, 1, tzinfo=dt.UTC),
                                   not_after=dt.datetime(2024, 1, 31, tzinfo=dt.UTC)))
    elif kind == "not-yet-valid":
        bundle.write_bytes(_ca_pem(not_before=dt.datetime(2099, 1, 1, tzinfo=dt.UTC),
                                   not_after=dt.datetime(2100, 1, 1, tzinfo=dt.UTC)))
    elif kind == "fifo":
        bundle.unlink()
        os.mkfifo(bundle)  # reading it would block forever
    elif kind == "huge":
        bundle.write_bytes(bundle.read_bytes() * 2000)
    else:
        (project / "environments" / "pki" / "dev.crl").write_bytes(b"not a CRL")
        _set_crl(project, "environments/pki/dev.crl")
        field = "serving.client_revocation_list_file = 'environments/pki/dev.crl'"
    _one(_problems(project, capsys), f"environments/dev.yaml: {field}: ", fragment, "Fix: point it at")


# -- the contract, through `python main.py` in a fresh copy of the project --------------------------------


@dataclass
class Run:
    returncode: int
    stdout: str
    stderr: str
    seconds: float
    cpu_seconds: float
    max_rss_mb: float


MEMORY_CEILING = 1024 * 1024 * 1024  # address space of the child: a regression fails here, not the machine


def _limits() -> None:
    resource.setrlimit(resource.RLIMIT_AS, (MEMORY_CEILING, MEMORY_CEILING))
    resource.setrlimit(resource.RLIMIT_CPU, (60, 60))


# `python main.py`, reporting its own peak RSS at exit. ru_maxrss cannot be used: on Linux it survives execve, so a
# child forked from a large pytest process reports the parent's size. VmHWM belongs to the address space, which
# execve replaces, so it is the child's own peak.
PEAK_WRAPPER = """
import atexit, os, runpy, sys
def _peak():
    with open("/proc/self/status", encoding="ascii") as status:
        kb = next(line.split()[1] for line in status if line.startswith("VmHWM:"))
    with open(os.environ["ZTAI_TEST_PEAK_FILE"], "w", encoding="ascii") as out:
        out.write(kb)
atexit.register(_peak)
sys.argv = ["main.py"]
runpy.run_path("main.py", run_name="__main__")
"""


def run_main(project: Path) -> Run:
    """`python main.py` in ``project``: CPU time from the child's own rusage (os.wait4), peak RSS from its VmHWM."""
    env = {k: v for k, v in os.environ.items() if k not in ("CDKTF_OUTDIR", synth.ENV_SELECTION, synth.ENV_DIR)}
    env["PYTHONDONTWRITEBYTECODE"] = "1"
    with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err, \
            tempfile.NamedTemporaryFile(suffix=".peak") as peak:
        env["ZTAI_TEST_PEAK_FILE"] = peak.name
        started = time.perf_counter()
        child = subprocess.Popen([sys.executable, "-c", PEAK_WRAPPER], cwd=project, stdout=out, stderr=err, env=env,
                                 preexec_fn=_limits)
        _, status, usage = os.wait4(child.pid, 0)
        seconds = time.perf_counter() - started
        child.returncode = os.waitstatus_to_exitcode(status)
        out.seek(0)
        err.seek(0)
        peak_kb = Path(peak.name).read_text(encoding="ascii").strip()
        assert peak_kb.isdigit(), "the child did not report its peak memory (it died before exiting)"
        return Run(child.returncode, out.read().decode(errors="replace"), err.read().decode(errors="replace"),
                   seconds, usage.ru_utime + usage.ru_stime, int(peak_kb) / 1024)


def fresh_copy(tmp_path: Path) -> Path:
    """What the held-out suite used: a copy of the project (the part `main.py` runs before synthesis)."""
    project = tmp_path / "project"
    ignore = shutil.ignore_patterns("__pycache__")
    # the app and the library it validates with (the toolkit is not needed: main.py never imports it)
    for package in ("stacks", "constructs"):
        shutil.copytree(PROJECT_ROOT / package, project / package, ignore=ignore)
    shutil.copytree(PROJECT_ROOT / "environments", project / "environments", ignore=ignore)
    shutil.copy2(PROJECT_ROOT / "main.py", project / "main.py")
    return project


def _dev(change: Callable[[dict[str, Any]], None]) -> Callable[[Path], None]:
    def apply(project: Path) -> None:
        data = copy.deepcopy(GOOD)
        change(data)
        _write(project, yaml.safe_dump(data))
    return apply


def _text(content: str | bytes) -> Callable[[Path], None]:
    def apply(project: Path) -> None:
        _write(project, content)
    return apply


def _symlinked_environment(project: Path) -> None:
    outside = project.parent / "dev.yaml"
    outside.write_text(GOOD_TEXT, encoding="utf-8")
    (project / "environments" / "dev.yaml").unlink()
    (project / "environments" / "dev.yaml").symlink_to(outside)


def _symlinked_ca_bundle(project: Path) -> None:
    bundle = project / "environments" / "pki" / "dev-client-ca.pem"
    _link_outside(project, "environments/pki/dev-client-ca.pem", bundle.read_bytes())


def _expired_ca_bundle(project: Path) -> None:
    (project / "environments" / "pki" / "dev-client-ca.pem").write_bytes(
        _ca_pem(not_before=dt.datetime(2020, 1, 1, tzinfo=dt.UTC), not_after=dt.datetime(2021, 6, 30, tzinfo=dt.UTC)))


# (case id, change to the fresh copy, fragments of the dev.yaml message) -- one or more per class
CONTRACT_CASES: list[tuple[str, Callable[[Path], None], list[str]]] = [
    ("1-emulator-section-in-dev", _dev(lambda d: d.update(emulator=GOOD_LOCAL["emulator"])),
     ["environments/dev.yaml: emulator = {", "Fix: remove the emulator section"]),
    ("2-list-as-key", _text(GOOD_TEXT + "? [a, b]\n: 1\n"),
     [f"(YAML at line {END}, column 3)", "a list is used as a key"]),
    ("2-not-utf8", _text(GOOD_TEXT.encode() + b"x: \xff\n"), [f"(file encoding) = byte 0xff at line {END}, column 4"]),
    ("3-alias-bomb", _text(BOMB), [f"expands to more than {MAX_VALUES} values"]),
    ("3-five-megabytes-of-junk-keys", _text(JUNK_5MB), ["(file size) = more than"]),
    ("3-deep-nesting", _text("a: " + "[" * 60_000 + "]" * 60_000 + "\n"), ["nested more than"]),
    ("4-symlinked-environment", _symlinked_environment, ["environments/dev.yaml: (file) = ", "outside the project"]),
    ("4-symlinked-ca-bundle", _symlinked_ca_bundle,
     ["environments/dev.yaml: serving.client_ca_bundle_file = ", "outside the project"]),
    ("5-region-that-does-not-exist",
     _dev(lambda d: d.update(region="eu-west-4", availability_zones=["eu-west-4a", "eu-west-4b"])),
     ["environments/dev.yaml: region = 'eu-west-4': ", "Fix: use an existing region"]),
    ("5-bucket-with-adjacent-periods", _dev(lambda d: d["backend"].update(bucket="zt..state")),
     ["environments/dev.yaml: backend.bucket = 'zt..state': "]),
    ("5-expired-client-ca", _expired_ca_bundle, ["serving.client_ca_bundle_file = ", "expired on 2021-06-30"]),
    ("6-private-ca-arn-path",
     _dev(lambda d: d["serving"]["certificate"].update(certificate_authority_arn="arn:aws:acm:x")),
     ["environments/dev.yaml: serving.certificate.certificate_authority_arn = 'arn:aws:acm:x': "]),
]


@pytest.mark.parametrize(("case_id", "change", "fragments"), CONTRACT_CASES, ids=[c[0] for c in CONTRACT_CASES])
def test_python_main_py_keeps_the_contract(
    tmp_path: Path, case_id: str, change: Callable[[Path], None], fragments: list[str]
) -> None:
    project = fresh_copy(tmp_path)
    change(project)
    earlier = _with_earlier_output(project)
    before = _tree(tmp_path)
    run = run_main(project)
    assert run.returncode == 2, run.stderr
    assert "Traceback" not in run.stderr and run.stdout == ""
    problems = [line[4:] for line in run.stderr.splitlines() if line.startswith("  - ")]
    dev = [p for p in problems if p.startswith("environments/dev.yaml: ")]
    assert len(dev) == 1, run.stderr
    for fragment in fragments:
        assert fragment in dev[0], f"{fragment!r} not in {dev[0]!r}"
    assert ". Fix: " in dev[0]
    assert _tree(tmp_path) == before, "nothing may be written"
    assert earlier.read_text(encoding="utf-8") == '{"earlier": true}'
    assert len(run.stderr) < 10_000
    # measured, not guessed: the child's own CPU time and peak resident memory
    assert run.cpu_seconds < 5, f"{run.cpu_seconds:.1f} s CPU"
    assert run.seconds < 20, f"{run.seconds:.1f} s"
    assert run.max_rss_mb < 200, f"{run.max_rss_mb:.0f} MB"


def test_every_file_field_is_a_resolved_project_path() -> None:
    """The loader finds path fields by their type (RepoPath); a new `*_file` field of another type would
    escape the symbolic-link check, so every one of them must be found."""
    local = copy.deepcopy(GOOD_LOCAL)
    local["serving"]["client_revocation_list_file"] = "environments/pki/local.crl"
    found = {loc for loc, _ in project_paths(EnvironmentConfig.model_validate(local))}
    assert found == {
        ("serving", "certificate", "certificate_file"), ("serving", "certificate", "private_key_file"),
        ("serving", "client_ca_bundle_file"), ("serving", "client_revocation_list_file"),
        ("emulator", "credentials_file"),
    }

    def file_fields(model: type[BaseModel], prefix: tuple[str, ...] = ()) -> set[tuple[str, ...]]:
        names: set[tuple[str, ...]] = set()
        for name, field in model.model_fields.items():
            names |= {(*prefix, name)} if name.endswith("_file") else set()
            for inner in [field.annotation, *typing.get_args(field.annotation)]:
                if isinstance(inner, type) and issubclass(inner, BaseModel):
                    names |= file_fields(inner, (*prefix, name))
        return names

    assert {loc[-1] for loc in file_fields(EnvironmentConfig)} == {loc[-1] for loc in found}
