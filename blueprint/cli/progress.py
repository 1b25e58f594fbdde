"""Progress of long steps (terraform apply/destroy, the red-team drill) instead of thousands of log lines.

Terraform is run with ``-json``: every line it prints is one machine-readable UI message
(https://developer.hashicorp.com/terraform/internals/machine-readable-ui). :class:`TerraformProgress`
counts them -- the plan's ``change_summary`` gives the total, ``apply_complete`` / ``apply_errored`` the
resources done, ``apply_start`` the one in flight, ``diagnostic`` the errors in full -- without reading
any human-oriented text.

How progress is shown (:func:`choose_mode`):

* ``live``: a rich live display on a terminal (stderr is a TTY and ``CI`` is not set);
* ``plain``: in CI or without a TTY, one line at most every ``interval`` seconds while something changed,
  plus a final line -- bounded output whatever the number of resources;
* ``verbose``: every line as it comes (``--verbose``).

The full output always goes to a log file under ``reports/`` (the caller names it in its summary).
"""

from __future__ import annotations

import json
import os
import sys
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any, Literal

Mode = Literal["live", "plain", "verbose"]
PLAIN_INTERVAL_SECONDS = 20.0


def choose_mode(*, verbose: bool = False, stream: IO[str] | None = None,
                environ: dict[str, str] | None = None) -> Mode:
    if verbose:
        return "verbose"
    env = os.environ if environ is None else environ
    target = sys.stderr if stream is None else stream
    if env.get("CI") or env.get("ZTAI_PLAIN_PROGRESS") or env.get("TERM") == "dumb":
        return "plain"
    isatty = getattr(target, "isatty", None)
    return "live" if callable(isatty) and isatty() else "plain"


@dataclass
class TerraformError:
    summary: str
    detail: str
    address: str | None

    def render(self) -> str:
        head = f"{self.address}: {self.summary}" if self.address else self.summary
        return f"{head}\n{self.detail}".rstrip() if self.detail else head


@dataclass
class TerraformProgress:
    """State of one ``terraform apply|destroy -json`` run, fed one output line at a time."""

    operation: str = "apply"
    total: int | None = None
    done: int = 0
    failed: int = 0
    refreshed: int = 0
    phase: str = "starting"
    in_flight: dict[str, str] = field(default_factory=dict)  # address -> action (create, update, delete, read)
    reads: int = 0  # data sources read during apply: not part of the plan's total, not counted as done
    current: str | None = None
    errors: list[TerraformError] = field(default_factory=list)
    warnings: int = 0
    result: str | None = None  # terraform's final change_summary message
    other_lines: list[str] = field(default_factory=list)  # output that was not JSON (kept for errors)

    def feed(self, line: str) -> dict[str, Any] | None:
        text = line.strip()
        if not text:
            return None
        try:
            message = json.loads(text)
        except json.JSONDecodeError:
            self.other_lines.append(text)
            return None
        if not isinstance(message, dict):
            self.other_lines.append(text)
            return None
        self.handle(message)
        return message

    def handle(self, message: dict[str, Any]) -> None:
        kind = message.get("type")
        hook = message.get("hook") or {}
        address = (hook.get("resource") or {}).get("addr")
        if kind == "refresh_start":
            self.phase = "refreshing"
        elif kind == "refresh_complete":
            self.refreshed += 1
        elif kind == "planned_change":
            self.phase = "planning"
        elif kind == "change_summary":
            changes = message.get("changes") or {}
            if changes.get("operation") == "plan":
                self.total = int(changes.get("add", 0)) + int(changes.get("change", 0)) + int(
                    changes.get("remove", 0))
                self.phase = "applying" if self.total else "nothing to do"
            else:
                self.result = str(message.get("@message", ""))
                self.phase = "complete"
        elif kind == "apply_start" and address:
            self.phase = "applying"
            self.in_flight[address] = str(hook.get("action", ""))
            self.current = address
        elif kind == "apply_progress" and address:
            self.in_flight.setdefault(address, str(hook.get("action", "")))  # "Still creating...": in flight
        elif kind in ("apply_complete", "apply_errored") and address:
            self.in_flight.pop(address, None)
            if kind == "apply_errored":
                self.failed += 1
            elif hook.get("action") == "read" or address.startswith("data.") or ".data." in address:
                self.reads += 1
            else:
                self.done += 1
            if self.current == address:
                self.current = next(reversed(self.in_flight), None) if self.in_flight else None
        elif kind == "diagnostic":
            diagnostic = message.get("diagnostic") or {}
            if diagnostic.get("severity") == "error":
                self.errors.append(TerraformError(str(diagnostic.get("summary", message.get("@message", ""))),
                                                  str(diagnostic.get("detail", "")), diagnostic.get("address")))
            else:
                self.warnings += 1

    def status(self, elapsed: float) -> str:
        total = "?" if self.total is None else str(self.total)
        parts = [f"{self.done}/{total} resources", self.phase]
        if self.phase == "refreshing":
            parts.append(f"{self.refreshed} refreshed")
        if self.failed:
            parts.append(f"{self.failed} FAILED")
        if self.current and self.phase == "applying":
            extra = f" (+{len(self.in_flight) - 1} more)" if len(self.in_flight) > 1 else ""
            parts.append(f"now {self.current}{extra}")
        parts.append(f"{elapsed:.0f}s")
        return " | ".join(parts)


class Reporter:
    """Shows a changing one-line status: a rich live line, periodic plain lines, or nothing (verbose)."""

    def __init__(self, title: str, mode: Mode, *, stream: IO[str] | None = None,
                 interval: float = PLAIN_INTERVAL_SECONDS, clock: Callable[[], float] = time.monotonic) -> None:
        self.title, self.mode, self.interval, self.clock = title, mode, interval, clock
        self.stream = sys.stderr if stream is None else stream
        self.started = clock()
        self._last_print: float | None = None
        self._last_status: str | None = None
        self._live: Any = None
        self._progress: Any = None
        self._task: Any = None

    def __enter__(self) -> Reporter:
        if self.mode == "live":
            from rich.console import Console
            from rich.progress import (
                BarColumn,
                MofNCompleteColumn,
                Progress,
                SpinnerColumn,
                TextColumn,
                TimeElapsedColumn,
            )

            console = Console(file=self.stream, stderr=self.stream is sys.stderr)
            self._progress = Progress(SpinnerColumn(), TextColumn("[bold]{task.description}"), BarColumn(),
                                      MofNCompleteColumn(), TimeElapsedColumn(), TextColumn("{task.fields[now]}"),
                                      console=console, transient=True)
            self._task = self._progress.add_task(self.title, total=None, now="")
            self._progress.start()
        return self

    def elapsed(self) -> float:
        return self.clock() - self.started

    def line(self, text: str) -> None:
        """Print a line that must always be seen (an error, a wrong verdict), above any live display."""
        if self._progress is not None:
            self._progress.console.print(text, markup=False, highlight=False)
        else:
            self.stream.write(text + "\n")
            self.stream.flush()

    def raw(self, text: str) -> None:
        """A line of the underlying tool's output: shown only in verbose mode."""
        if self.mode == "verbose":
            self.stream.write(f"  | {text.rstrip()}\n")
            self.stream.flush()

    def update(self, status: str, *, done: int | None = None, total: int | None = None, now: str = "") -> None:
        if self.mode == "live" and self._progress is not None:
            self._progress.update(self._task, completed=done or 0, total=total, now=now)
        elif self.mode == "plain":
            moment = self.clock()
            due = self._last_print is None or moment - self._last_print >= self.interval
            if due and status != self._last_status:
                self.stream.write(f"[ztai] {self.title}: {status}\n")
                self.stream.flush()
                self._last_print, self._last_status = moment, status

    def finish(self, status: str) -> None:
        """The closing status line, printed in every mode (the live display disappears when it stops)."""
        self.__exit__()
        self.stream.write(f"[ztai] {self.title}: {status}\n")
        self.stream.flush()

    def __exit__(self, *exc: object) -> None:
        if self._progress is not None:
            self._progress.stop()
            self._progress = None


def terraform_reporter_update(reporter: Reporter, progress: TerraformProgress) -> None:
    status = progress.status(reporter.elapsed())
    now = progress.current or progress.phase
    reporter.update(status, done=progress.done + progress.failed, total=progress.total,
                    now=f"{progress.phase}: {now}" if progress.current else progress.phase)


def follow_terraform(lines: Iterable[str], reporter: Reporter, progress: TerraformProgress,
                     log: IO[str] | None = None) -> TerraformProgress:
    """Feed terraform ``-json`` output lines into ``progress`` and ``reporter``; copy each line to ``log``."""
    for line in lines:
        if log is not None:
            log.write(line if line.endswith("\n") else line + "\n")
            log.flush()
        message = progress.feed(line)
        if reporter.mode == "verbose":
            reporter.raw(str(message.get("@message", line)) if message else line)
        terraform_reporter_update(reporter, progress)
    return progress


def read_jsonl(path: Path) -> list[str]:
    return path.read_text(encoding="utf-8").splitlines(keepends=True)
