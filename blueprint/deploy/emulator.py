"""Lifecycle of the local AWS emulator (moto server) used by the `local` environment.

The emulator listens on 127.0.0.1 only. ``start`` writes the dummy-credentials profile the
provider configuration of ``local`` points at (``.emulator/credentials``), waits until the server
answers, and records its pid so ``stop`` (or another process) can end it.

Local state lives and dies with the emulator: a state file describes the resources of one emulator
process, and moto cannot tell terraform that a resource of an earlier process is gone (it answers a
missing NACL with ``InvalidRouteTableID.NotFound``), so refreshing such a state fails. ``start`` and
``stop`` are therefore given the state file bound to the emulator (``bound_state``, by default
``.state/terraform.local.tfstate`` for the CLI): starting a *new* server and stopping one both remove it
(with its backup and lock files). Reusing a server that already answers keeps it. The state also
records which emulator it belongs to (``<state>.emulator``: port, pid, start time), so a state whose
emulator was replaced behind our back (killed, restarted by hand) is dropped on the next start too.
"""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlparse

from blueprint.deploy.tuning import tuning

PROJECT_ROOT = Path(__file__).resolve().parents[2]
STATE_DIR = PROJECT_ROOT / ".emulator"
# the `local` environment's terraform state (stacks/platform_stack.py: LocalBackend under .state/)
LOCAL_STATE = PROJECT_ROOT / ".state" / "terraform.local.tfstate"
PROFILE = "ztai-emulator"
# moto accepts any credentials; these are obviously fake and only ever sent to 127.0.0.1.
DUMMY_CREDENTIALS = f"[{PROFILE}]\naws_access_key_id = testing\naws_secret_access_key = testing\n"


@dataclass(frozen=True)
class Emulator:
    host: str
    port: int
    pid: int | None
    log_file: Path

    @property
    def endpoint(self) -> str:
        return f"http://{self.host}:{self.port}"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def write_credentials(state_dir: Path = STATE_DIR) -> Path:
    state_dir.mkdir(parents=True, exist_ok=True)
    path = state_dir / "credentials"
    path.write_text(DUMMY_CREDENTIALS, encoding="utf-8")
    return path


def healthy(endpoint: str, timeout: float = 2.0) -> bool:
    """Whether moto server answers at ``endpoint``.

    Probes moto's dashboard page (static), not ``/moto-api/data.json``: that one serialises every resource
    of the emulator and takes seconds once the platform is deployed, so a busy but running emulator looked
    gone -- and a new one would have been started (and its state dropped) on the same port.
    """
    try:
        with urllib.request.urlopen(f"{endpoint}/moto-api/", timeout=timeout) as response:
            return bool(response.status == 200)
    except OSError:
        return False


def forget_state(state: Path) -> list[Path]:
    """Remove a terraform state file with its backups, lock info and emulator binding. Returns what went."""
    removed = []
    if state.parent.is_dir():
        for path in sorted(state.parent.glob(state.name + "*")):
            if path.is_file():
                path.unlink()
                removed.append(path)
    return removed


def _instance(port: int, pid: int | None) -> str:
    return f"port={port} pid={pid} started={_process_start(pid)}"


def _process_start(pid: int | None) -> str:
    # field 22 of /proc/<pid>/stat is the start time in clock ticks: a pid reused by a new process differs
    try:
        return Path(f"/proc/{pid}/stat").read_text(encoding="utf-8").rsplit(")", 1)[1].split()[19]
    except (OSError, IndexError):
        return "unknown"


def bind_state(state: Path, port: int, pid: int | None) -> None:
    """Record that ``state`` describes the emulator ``port``/``pid`` (read by ``start``)."""
    state.parent.mkdir(parents=True, exist_ok=True)
    Path(f"{state}.emulator").write_text(_instance(port, pid) + "\n", encoding="utf-8")


def state_belongs_to(state: Path, port: int, pid: int | None) -> bool:
    try:
        return Path(f"{state}.emulator").read_text(encoding="utf-8").strip() == _instance(port, pid)
    except OSError:
        return False


def start(endpoint: str, *, state_dir: Path = STATE_DIR, wait_seconds: float = 60.0, log_dir: Path | None = None,
          bound_state: Path | None = None) -> Emulator:
    """Start moto server for ``endpoint`` (http://127.0.0.1:<port>) unless one already answers there.

    ``log_dir``: where the server's log goes (default ``state_dir``). ``bound_state``: a terraform state
    file that lives and dies with this emulator (see the module docstring).
    """
    parsed = urlparse(endpoint)
    host, port = parsed.hostname or "127.0.0.1", int(parsed.port or 5000)
    if host not in ("127.0.0.1", "localhost"):
        raise ValueError(f"the emulator only listens on loopback, not {host}")
    write_credentials(state_dir)
    log_dir = log_dir or state_dir
    log_dir.mkdir(parents=True, exist_ok=True)
    log_file = log_dir / f"emulator-{port}.log"
    if healthy(endpoint):
        pid = _read_pid(state_dir, port)
        if bound_state is not None and not state_belongs_to(bound_state, port, pid):
            # a server we did not start (or one started before state was bound): its state is unknown
            if bound_state.exists() and Path(f"{bound_state}.emulator").exists():
                forget_state(bound_state)
            bind_state(bound_state, port, pid)
        return Emulator(host, port, pid, log_file)
    if bound_state is not None:
        forget_state(bound_state)
    command = [*server_command(), "-H", "127.0.0.1", "-p", str(port)]
    with log_file.open("ab") as log:
        process = subprocess.Popen(
            command, stdout=log, stderr=subprocess.STDOUT, start_new_session=True,
            # AWS-managed policies (e.g. service-role/AWSBatchServiceRole) exist in AWS; moto loads them on request.
            env={**os.environ, "MOTO_ALLOW_NONEXISTENT_REGION": "true", "MOTO_IAM_LOAD_MANAGED_POLICIES": "true"},
        )
    (state_dir / f"moto-{port}.pid").write_text(str(process.pid), encoding="utf-8")
    deadline = time.monotonic() + wait_seconds
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"moto server exited with {process.returncode}; see {log_file}")
        if healthy(endpoint):
            if bound_state is not None:
                bind_state(bound_state, port, process.pid)
            return Emulator(host, port, process.pid, log_file)
        time.sleep(0.2)
    process.terminate()
    raise TimeoutError(f"moto server did not answer on {endpoint} within {wait_seconds}s; see {log_file}")


def server_command(environ: Mapping[str, str] | None = None) -> list[str]:
    """How moto server is started: moto's own server with its requests one at a time
    (:mod:`blueprint.deploy.moto_server`, run as a file: it imports nothing of the project), or, with
    ``ZTAI_MAIN_JOB_BASELINE=1``, ``moto_server`` as moto ships it."""
    if tuning(environ).serialized_emulator:
        return [sys.executable, str(Path(__file__).with_name("moto_server.py"))]
    server = Path(sys.executable).with_name("moto_server")
    return [str(server) if server.exists() else "moto_server"]


def _read_pid(state_dir: Path, port: int) -> int | None:
    try:
        return int((state_dir / f"moto-{port}.pid").read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None


def stop(emulator: Emulator | None = None, *, port: int | None = None, state_dir: Path = STATE_DIR,
         bound_state: Path | None = None) -> bool:
    """Stop the emulator; ``bound_state`` (the terraform state of what it held) is removed with it."""
    port = emulator.port if emulator else port
    if port is None:
        raise ValueError("stop() needs an emulator or a port")
    pid = emulator.pid if emulator and emulator.pid else _read_pid(state_dir, port)
    if bound_state is not None:
        forget_state(bound_state)
    if pid is None:
        return False
    with contextlib.suppress(ProcessLookupError):
        os.killpg(pid, signal.SIGTERM)
        for _ in range(50):
            try:
                os.kill(pid, 0)
            except ProcessLookupError:
                break
            time.sleep(0.1)
        else:
            os.killpg(pid, signal.SIGKILL)
    (state_dir / f"moto-{port}.pid").unlink(missing_ok=True)
    return True


def reset(endpoint: str) -> None:
    """Forget every resource in the emulator (moto's reset API)."""
    request = urllib.request.Request(f"{endpoint}/moto-api/reset", method="POST")
    with urllib.request.urlopen(request, timeout=10):
        pass


@contextlib.contextmanager
def running(endpoint: str, *, state_dir: Path = STATE_DIR, keep: bool = False) -> Iterator[Emulator]:
    emulator = start(endpoint, state_dir=state_dir)
    try:
        yield emulator
    finally:
        if not keep:
            stop(emulator, state_dir=state_dir)
