"""Compare ``blueprint.drill.policy_eval`` with an independent evaluator, @cloud-copilot/iam-simulate (Node, test-only).

A ``Case`` is one request with the policies that apply to it. ``simulate(cases)`` sends the whole batch to
tests/parity/simulate.mjs in one Node process; ``disagreements(cases, known)`` lists every case where the two
evaluators differ and no entry of tests/parity/known_differences.yaml explains it. Results are compared as
Allowed / ExplicitlyDenied / ImplicitlyDenied, so a Deny for the wrong reason is a disagreement too.

The simulator is AGPL-3.0: it is a devDependency (package.json), run only by tests, never imported by the library.
"""

from __future__ import annotations

import fnmatch
import json
import os
import shutil
import subprocess
import threading
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from blueprint.drill import policy_eval
from blueprint.drill.policy_eval import Request

HERE = Path(__file__).resolve().parent
PROJECT_ROOT = HERE.parent.parent
SCRIPT = HERE / "simulate.mjs"
KNOWN = HERE / "known_differences.yaml"
RESULTS = ("Allowed", "ExplicitlyDenied", "ImplicitlyDenied")


@dataclass
class Case:
    id: str
    request: Request
    identity_policies: list[dict[str, Any]] = field(default_factory=list)
    resource_policies: list[dict[str, Any]] = field(default_factory=list)
    boundary: dict[str, Any] | None = None
    session_policies: list[dict[str, Any]] = field(default_factory=list)
    endpoint_policies: list[dict[str, Any]] = field(default_factory=list)
    scps: list[Any] = field(default_factory=list)
    rcps: list[Any] = field(default_factory=list)
    expected: str | None = None  # hand-written cases: the AWS result the case was written to show
    note: str = ""

    def kwargs(self) -> dict[str, Any]:
        return {
            "identity_policies": self.identity_policies, "resource_policies": self.resource_policies,
            "boundary": self.boundary, "session_policies": self.session_policies,
            "endpoint_policies": self.endpoint_policies, "scps": self.scps, "rcps": self.rcps,
        }

    @classmethod
    def from_recorded(cls, case_id: str, entry: policy_eval.Recorded) -> Case:
        p = entry.policies
        return cls(case_id, entry.request, list(p["identity_policies"]), list(p["resource_policies"]), p["boundary"],
                   list(p["session_policies"]), list(p["endpoint_policies"]), list(p["scps"]), list(p["rcps"]))


def ours(case: Case) -> str:
    decision = policy_eval.evaluate(case.request, **case.kwargs())
    if decision.allowed:
        return "Allowed"
    return "ExplicitlyDenied" if decision.reason.startswith("explicit Deny") else "ImplicitlyDenied"


def _text(value: Any) -> str | list[str]:
    if isinstance(value, list | tuple):
        return [str(_text(v)) for v in value]
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def _merged(documents: Sequence[Mapping[str, Any]]) -> dict[str, Any] | None:
    """The simulator takes one resource / session policy: the statements of all of them in one document."""
    if not documents:
        return None
    if len(documents) == 1:
        return dict(documents[0])
    statements: list[Any] = []
    for document in documents:
        body = document.get("Statement", [])
        statements += body if isinstance(body, list) else [body]
    return {"Version": documents[0].get("Version", "2012-10-17"), "Statement": statements}


def _named(documents: Iterable[Mapping[str, Any]], prefix: str) -> list[dict[str, Any]]:
    return [{"name": f"{prefix}{i}", "policy": dict(d)} for i, d in enumerate(documents)]


def _star_principal(document: Mapping[str, Any]) -> dict[str, Any]:
    """{"AWS": "*"} -> "*": equivalent in AWS (reference_policies_elements_principal.html), but the simulator's
    validator accepts only the short form in endpoint policies."""
    statements = document.get("Statement", [])
    fixed = [
        {**s, "Principal": "*"} if isinstance(s, Mapping) and s.get("Principal") in ({"AWS": "*"}, {"AWS": ["*"]})
        else s
        for s in (statements if isinstance(statements, list) else [statements])
    ]
    return {**document, "Statement": fixed}


def _levels(levels: Sequence[Any], prefix: str) -> list[dict[str, Any]]:
    out = []
    for i, level in enumerate(levels):
        documents = [level] if isinstance(level, Mapping) else list(level)
        out.append({"orgIdentifier": f"{prefix}-level-{i}", "policies": _named(documents, f"{prefix}{i}-")})
    return out


def simulation(case: Case) -> dict[str, Any]:
    """The case as an iam-simulate Simulation (same effective context as ours, so derived keys agree)."""
    request = case.request
    principal = request.principal_arn if request.principal_arn not in ("*", "", "anonymous") else "anonymous"
    context = {k: _text(v) for k, v in policy_eval.effective_context(request).items()}
    body: dict[str, Any] = {
        "request": {
            "principal": principal,
            "action": request.action,
            "resource": {"resource": request.resource, "accountId": policy_eval.resource_account(request) or ""},
            "contextVariables": context,
        },
        "identityPolicies": _named(case.identity_policies, "identity") if principal != "anonymous" else [],
        "serviceControlPolicies": _levels(case.scps, "scp"),
        "resourceControlPolicies": _levels(case.rcps, "rcp"),
    }
    resource = _merged(case.resource_policies)
    if resource is not None:
        body["resourcePolicy"] = resource
    if case.boundary is not None:
        body["permissionBoundaryPolicies"] = _named([case.boundary], "boundary")
    session = _merged(case.session_policies)
    if session is not None:
        body["sessionPolicy"] = session
    if case.endpoint_policies:
        body["vpcEndpointPolicies"] = _named([_star_principal(d) for d in case.endpoint_policies], "endpoint")
    return body


def node() -> str:
    """The venv's Node (>= 22), else the one on PATH."""
    venv = PROJECT_ROOT / ".venv" / "bin" / "node"
    found = str(venv) if venv.exists() else shutil.which("node")
    if not found:
        raise RuntimeError("node not found: run scripts/setup.sh (the venv carries Node 22)")
    return found


def simulator_available() -> bool:
    return (PROJECT_ROOT / "node_modules" / "@cloud-copilot" / "iam-simulate" / "package.json").exists()


@dataclass
class _Run:
    process: subprocess.Popen[str]
    feeder: threading.Thread


_POLICY_FIELDS = ("identityPolicies", "permissionBoundaryPolicies", "vpcEndpointPolicies")


def _batch(cases: Sequence[Case]) -> str:
    """The batch as JSON, every distinct policy document sent once ({"$ref": n} points into "policies")."""
    table: dict[str, int] = {}

    def ref(document: Any) -> dict[str, int]:
        text = json.dumps(document, sort_keys=True)
        return {"$ref": table.setdefault(text, len(table))}

    out = []
    for case in cases:
        body = simulation(case)
        for name in _POLICY_FIELDS:
            for entry in body.get(name, []):
                entry["policy"] = ref(entry["policy"])
        for name in ("serviceControlPolicies", "resourceControlPolicies"):
            for level in body[name]:
                for entry in level["policies"]:
                    entry["policy"] = ref(entry["policy"])
        for name in ("resourcePolicy", "sessionPolicy"):
            if name in body:
                body[name] = ref(body[name])
        out.append({"id": case.id, "simulation": body})
    return json.dumps({"policies": [json.loads(text) for text in table], "cases": out})


def _start(cases: Sequence[Case]) -> _Run:
    """One Node process deciding ``cases``; its input is written by a thread (the script reads all of it first)."""
    batch = _batch(cases)
    process = subprocess.Popen([node(), str(SCRIPT)], stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                               stderr=subprocess.PIPE, text=True, cwd=PROJECT_ROOT,
                               env={**os.environ, "NODE_NO_WARNINGS": "1"})
    feeder = threading.Thread(target=_feed, args=(process, batch), daemon=True)
    feeder.start()
    return _Run(process, feeder)


def _feed(process: subprocess.Popen[str], batch: str) -> None:
    assert process.stdin is not None
    with process.stdin:
        process.stdin.write(batch)


def _collect(run: _Run) -> dict[str, dict[str, Any]]:
    run.feeder.join(timeout=600)
    process = run.process
    process.stdin = None  # written and closed by the feeder
    out, err = process.communicate(timeout=600)
    if process.returncode != 0:
        raise RuntimeError(f"simulate.mjs failed ({process.returncode}): {err[-3000:]}")
    return {r["id"]: r for r in json.loads(out)["results"]}


def simulate(cases: Sequence[Case], processes: int | None = None) -> dict[str, dict[str, Any]]:
    """Decide every case with the simulator: one Node process per chunk (default: one per CPU, at most 4)."""
    count = max(1, min(processes or os.cpu_count() or 1, 4, len(cases) // 500 or 1))
    started = [_start(cases[i::count]) for i in range(count)]
    results: dict[str, dict[str, Any]] = {}
    for process in started:
        results.update(_collect(process))
    return results


@dataclass(frozen=True)
class Known:
    id: str  # a case id or an fnmatch pattern over case ids
    ours: str
    simulator: str
    reason: str
    must_match: bool  # hand-written cases: the entry must keep matching a real disagreement


def known_differences(path: Path = KNOWN) -> list[Known]:
    entries = yaml.safe_load(path.read_text(encoding="utf-8")) or []
    known = []
    for entry in entries:
        assert set(entry) <= {"id", "ours", "simulator", "reason"}, entry
        assert entry["ours"] in RESULTS and entry["simulator"] in (*RESULTS, "error"), entry
        assert len(str(entry.get("reason", "")).strip()) >= 40, f"explain the difference: {entry}"
        known.append(Known(entry["id"], entry["ours"], entry["simulator"], entry["reason"],
                           must_match=not any(ch in entry["id"] for ch in "*?[")))
    return known


@dataclass(frozen=True)
class Disagreement:
    case: str
    ours: str
    simulator: str
    detail: str

    def __str__(self) -> str:
        return f"{self.case}: ours {self.ours}, simulator {self.simulator} {self.detail}"


@dataclass
class Comparison:
    total: int
    unexplained: list[Disagreement]
    explained: list[tuple[Disagreement, Known]]
    unused: list[Known]  # exact-id entries that matched no disagreement (stale)


def compare(cases: Sequence[Case], known: Sequence[Known] = (), mine: Mapping[str, str] | None = None) -> Comparison:
    """``mine``: our results by case id, if already computed."""
    ids = [c.id for c in cases]
    assert len(ids) == len(set(ids)), "case ids must be unique"
    count = max(1, min(os.cpu_count() or 1, 4, len(cases) // 500 or 1))
    started = [_start(cases[i::count]) for i in range(count)]
    mine_all = dict(mine) if mine is not None else {case.id: ours(case) for case in cases}  # while the simulator runs
    theirs: dict[str, dict[str, Any]] = {}
    for process in started:
        theirs.update(_collect(process))
    unexplained: list[Disagreement] = []
    explained: list[tuple[Disagreement, Known]] = []
    used: set[str] = set()
    for case in cases:
        mine, result = mine_all[case.id], theirs[case.id]
        other = str(result["result"])
        if mine == other:
            continue
        detail = ""
        if result.get("errors"):
            detail = f"(errors: {json.dumps(result['errors'])[:600]})"
        elif result.get("ignoredContextKeys"):
            detail = f"(simulator ignored context keys {result['ignoredContextKeys']})"
        disagreement = Disagreement(case.id, mine, other, detail)
        entry = next((k for k in known if fnmatch.fnmatchcase(case.id, k.id) and k.ours == mine
                      and k.simulator == other), None)
        if entry is None:
            unexplained.append(disagreement)
        else:
            explained.append((disagreement, entry))
            used.add(entry.id)
    present = set(ids)
    unused = [k for k in known if k.must_match and k.id in present and k.id not in used]
    return Comparison(len(cases), unexplained, explained, unused)
