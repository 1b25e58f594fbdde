"""Local state lives and dies with the emulator (blueprint/deploy/emulator.py: bound_state).

A state file that outlives its moto process describes resources that no longer exist, and moto answers
the refresh of a missing NACL with the wrong error code, so terraform cannot recover: starting a new
emulator and stopping one remove the bound state; reusing a running emulator keeps it.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from blueprint.deploy import emulator


@pytest.fixture
def paths(tmp_path: Path) -> Iterator[tuple[str, Path, Path]]:
    endpoint = f"http://127.0.0.1:{emulator.free_port()}"
    state_dir = tmp_path / "emulator"
    state = tmp_path / "state" / "terraform.local.tfstate"
    yield endpoint, state_dir, state
    emulator.stop(port=int(endpoint.rsplit(":", 1)[1]), state_dir=state_dir)


def _write_state(state: Path) -> None:
    state.parent.mkdir(parents=True, exist_ok=True)
    state.write_text('{"version": 4, "resources": ["from an emulator"]}', encoding="utf-8")
    Path(f"{state}.backup").write_text("{}", encoding="utf-8")


def test_a_new_emulator_drops_the_state_of_an_earlier_one(paths: tuple[str, Path, Path]) -> None:
    endpoint, state_dir, state = paths
    _write_state(state)  # left behind by an emulator that is gone (no binding, nothing answers)
    sibling = state.parent / "terraform.dev.tfstate"
    sibling.write_text("{}", encoding="utf-8")
    em = emulator.start(endpoint, state_dir=state_dir, bound_state=state)
    assert not state.exists() and not Path(f"{state}.backup").exists()
    assert sibling.exists(), "only the bound state goes"
    assert emulator.state_belongs_to(state, em.port, em.pid)


def test_reusing_a_running_emulator_keeps_its_state_and_stop_removes_it(paths: tuple[str, Path, Path]) -> None:
    endpoint, state_dir, state = paths
    em = emulator.start(endpoint, state_dir=state_dir, bound_state=state)
    _write_state(state)  # a deploy into this emulator
    again = emulator.start(endpoint, state_dir=state_dir, bound_state=state)
    assert again.pid == em.pid and state.exists(), "same emulator: its state is still true"
    assert emulator.stop(again, state_dir=state_dir, bound_state=state)
    assert not emulator.healthy(endpoint)
    assert not state.exists() and not Path(f"{state}.backup").exists() and not Path(f"{state}.emulator").exists()


def test_a_state_bound_to_another_emulator_process_is_dropped(paths: tuple[str, Path, Path]) -> None:
    endpoint, state_dir, state = paths
    em = emulator.start(endpoint, state_dir=state_dir)  # started without binding (e.g. by a test fixture)
    _write_state(state)
    Path(f"{state}.emulator").write_text(f"port={em.port} pid=999999 started=1\n", encoding="utf-8")
    emulator.start(endpoint, state_dir=state_dir, bound_state=state)
    assert not state.exists()
    assert emulator.state_belongs_to(state, em.port, em.pid)


def test_stop_without_a_running_emulator_still_drops_the_state(tmp_path: Path) -> None:
    state = tmp_path / "terraform.local.tfstate"
    _write_state(state)
    assert emulator.stop(port=emulator.free_port(), state_dir=tmp_path / "none", bound_state=state) is False
    assert not state.exists()
