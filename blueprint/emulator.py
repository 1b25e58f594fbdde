"""Lifecycle of the local AWS emulator (moto server) used by the `local` environment.

The emulator listens on 127.0.0.1 only. ``start`` writes the dummy-credentials profile the
provider configuration of ``local`` points at (``.emulator/credentials``), waits until the server
answers, and records its pid so ``stop`` (or another process) can end it.
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
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlparse

PROJECT_ROOT = Path(__file__).resolve().parent.parent
STATE_DIR = PROJECT_ROOT / ".emulator"
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


def healthy(endpoint: str, timeout: float = 1.0) -> bool:
    try:
        with urllib.request.urlopen(f"{endpoint}/moto-api/data.json", timeout=timeout) as response:
            return bool(response.status == 200)
    except OSError:
        return False


def start(endpoint: str, *, state_dir: Path = STATE_DIR, wait_seconds: float = 60.0) -> Emulator:
    """Start moto server for ``endpoint`` (http://127.0.0.1:<port>) unless one already answers there."""
    parsed = urlparse(endpoint)
    host, port = parsed.hostname or "127.0.0.1", int(parsed.port or 5000)
    if host not in ("127.0.0.1", "localhost"):
        raise ValueError(f"the emulator only listens on loopback, not {host}")
    write_credentials(state_dir)
    log_file = state_dir / f"moto-{port}.log"
    if healthy(endpoint):
        return Emulator(host, port, _read_pid(state_dir, port), log_file)
    server = Path(sys.executable).with_name("moto_server")
    command = [str(server) if server.exists() else "moto_server", "-H", "127.0.0.1", "-p", str(port)]
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
            return Emulator(host, port, process.pid, log_file)
        time.sleep(0.2)
    process.terminate()
    raise TimeoutError(f"moto server did not answer on {endpoint} within {wait_seconds}s; see {log_file}")


def _read_pid(state_dir: Path, port: int) -> int | None:
    try:
        return int((state_dir / f"moto-{port}.pid").read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None


def stop(emulator: Emulator | None = None, *, port: int | None = None, state_dir: Path = STATE_DIR) -> bool:
    port = emulator.port if emulator else port
    if port is None:
        raise ValueError("stop() needs an emulator or a port")
    pid = emulator.pid if emulator and emulator.pid else _read_pid(state_dir, port)
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
