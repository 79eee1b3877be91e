"""The reliability suite's tally: every test records what it tried, the run prints the sums.

Each test records its attempts with ``tally(kind, what, handled)``; with pytest-xdist the
workers write to files that the controller adds up. The hooks are loaded by the root
``tests/conftest.py`` (the xdist controller never imports this folder's conftest), so the tally
prints whether the suite runs alone or with everything else.
"""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path

import pytest

TALLY_ROOT = Path(__file__).resolve().parents[2] / ".pytest_cache" / "reliability-tally"
# One folder per run (the xdist workers inherit the variable), so concurrent runs in the same
# tree do not add up each other's tallies.
TALLY_DIR = Path(os.environ.setdefault("RELIABILITY_TALLY_DIR", str(TALLY_ROOT / str(os.getpid()))))


def pytest_configure(config):
    if not hasattr(config, "workerinput"):
        TALLY_DIR.mkdir(parents=True, exist_ok=True)
        for old in TALLY_DIR.glob("*.jsonl"):
            old.unlink()


def pytest_unconfigure(config):
    if not hasattr(config, "workerinput") and TALLY_DIR.exists():
        shutil.rmtree(TALLY_DIR, ignore_errors=True)


@pytest.fixture
def tally(request):
    worker = os.environ.get("PYTEST_XDIST_WORKER", "main")
    path = TALLY_DIR / f"{worker}.jsonl"

    def record(kind: str, what: str, handled: bool) -> None:
        TALLY_DIR.mkdir(parents=True, exist_ok=True)
        with path.open("a") as f:
            f.write(json.dumps({"kind": kind, "what": what, "handled": handled,
                                "test": request.node.nodeid}) + "\n")

    return record


def pytest_terminal_summary(terminalreporter, config):
    if hasattr(config, "workerinput") or not TALLY_DIR.exists():
        return
    rows = [json.loads(line) for f in TALLY_DIR.glob("*.jsonl") for line in f.read_text().splitlines()]
    if not rows:
        return
    kinds: dict[str, list[int]] = {}
    for row in rows:
        seen = kinds.setdefault(row["kind"], [0, 0])
        seen[0] += 1
        seen[1] += bool(row["handled"])
    terminalreporter.section("reliability tally")
    for kind, (tried, handled) in sorted(kinds.items()):
        terminalreporter.write_line(f"{kind}: {tried} tried, {handled} handled")
    total = sum(t for t, _ in kinds.values())
    ok = sum(h for _, h in kinds.values())
    terminalreporter.write_line(f"all: {total} tried, {ok} handled" + ("" if total == ok else " -- NOT ALL HANDLED"))
