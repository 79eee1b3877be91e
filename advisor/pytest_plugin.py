"""A pytest plugin for SQLAlchemy apps: fail a test that runs an N+1, count a block's queries.

    $ pytest --advisor-nplusone                     # any test whose transactions loop fails

    def test_orders_page(client, advisor_assert_num_queries):
        with advisor_assert_num_queries(2):         # like django_assert_num_queries
            client.get("/orders")

Installed with the package (entry point ``pytest11``); it does nothing until a test asks for a
fixture or the option is given. It watches every SQLAlchemy engine of the process, the app's own
included, sync and asyncio alike, and skips SAVEPOINT/RELEASE and transaction control.

With ``--advisor-nplusone`` each test's statements are grouped by transaction, and a loop the
``n-plus-one`` rule reports (a read repeated once per row of another, ``min_repeats`` times or
more) fails the test with the finding: the lazy-loaded relationship, the query that loaded the
parents and its line, and the loader option to add there. The thresholds are the rule's, tuned
in ``[tool.advisor.rules.n-plus-one]`` of the project's pyproject.toml. A test marked
``@pytest.mark.advisor_allow_nplusone`` is not checked.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import pytest

RULE = "n-plus-one"
OPTION = "--advisor-nplusone"
MARKER = "advisor_allow_nplusone"


def pytest_addoption(parser) -> None:
    group = parser.getgroup("advisor", "advisor: N+1 queries of SQLAlchemy apps")
    group.addoption(OPTION, action="store_true", default=False,
                    help="fail a test whose transactions run an N+1 loop (SQLAlchemy engines)")


def pytest_configure(config) -> None:
    config.addinivalue_line("markers", f"{MARKER}: the advisor does not check this test for N+1 loops")
    config.stash[_KEY] = _Recorder(config.rootpath)


def pytest_unconfigure(config) -> None:
    recorder = config.stash.get(_KEY, None)
    if recorder is not None:
        recorder.stop()


@pytest.hookimpl(wrapper=True)
def pytest_runtest_call(item):
    recorder: _Recorder = item.config.stash[_KEY]
    if not item.config.getoption(OPTION) or item.get_closest_marker(MARKER):
        return (yield)
    recorder.begin(item.name)
    try:
        result = yield
    finally:
        traces = recorder.end()
    found = n_plus_one(traces, _thresholds(item.config))
    if found:
        pytest.fail(_report(found), pytrace=False)
    return result


@pytest.fixture
def advisor_assert_num_queries(pytestconfig):
    """``with advisor_assert_num_queries(3): ...`` fails unless the block runs exactly 3 statements."""
    return _Asserter(pytestconfig.stash[_KEY], exact=True)


@pytest.fixture
def advisor_assert_max_num_queries(pytestconfig):
    """``with advisor_assert_max_num_queries(3): ...`` fails when the block runs more than 3."""
    return _Asserter(pytestconfig.stash[_KEY], exact=False)


# -- counting a block --------------------------------------------------------------------------


@dataclass
class QueryCounter:
    """The statements a block ran (``queries``: their text, ``$n`` placeholders)."""

    events: list[dict] = field(default_factory=list)

    @property
    def count(self) -> int:
        return len(self.events)

    @property
    def queries(self) -> list[str]:
        return [e["query"] for e in self.events]


class _Asserter:
    def __init__(self, recorder: _Recorder, exact: bool):
        self.recorder, self.exact = recorder, exact

    @contextmanager
    def __call__(self, num: int, info: str | None = None) -> Iterator[QueryCounter]:
        with self.recorder.counting() as counter:
            yield counter
        if counter.count == num or (not self.exact and counter.count < num):
            return
        expected = f"{num}" if self.exact else f"at most {num}"
        lines = [f"{n}. {e['query']}" + (f"  ({e['call_site']})" if e.get("call_site") else "")
                 for n, e in enumerate(counter.events, start=1)]
        head = f"{info}: " if info else ""
        pytest.fail(f"{head}expected {expected} queries, {counter.count} were run:\n" + "\n".join(lines),
                    pytrace=False)


# -- recording every engine ----------------------------------------------------------------------


class _Recorder:
    """Statements of every engine: to the open counters, and per transaction while a test runs."""

    def __init__(self, root: Path):
        self.root = root
        self._lock = threading.Lock()
        self._hook = None
        self._counters: list[QueryCounter] = []
        self._label: str | None = None
        self._open: dict[int, list[dict]] = {}  # id(connection) -> its transaction's statements
        self._done: list[list[dict]] = []

    def start(self) -> None:
        if self._hook is None:
            from advisor.statement_hook import StatementHook

            self._hook = StatementHook(self._statement, self.root, on_end=self._end)
            self._hook.watch()

    def stop(self) -> None:
        if self._hook is not None:
            self._hook.unwatch()
            self._hook = None

    @contextmanager
    def counting(self) -> Iterator[QueryCounter]:
        self.start()
        counter = QueryCounter()
        with self._lock:
            self._counters.append(counter)
        try:
            yield counter
        finally:
            with self._lock:
                self._counters.remove(counter)

    def begin(self, label: str) -> None:
        self.start()
        with self._lock:
            self._label, self._open, self._done = label, {}, []

    def end(self) -> list:
        from advisor.model import Trace

        with self._lock:
            done = self._done + [events for events in self._open.values() if events]
            label, self._label, self._open, self._done = self._label, None, {}, []
        return [Trace(f"{label}-{n}", "app", label, [_event(e) for e in events], orm_hooked=True)
                for n, events in enumerate(done, start=1)]

    def _statement(self, conn, event: dict) -> None:
        from advisor.statement_hook import CONTROL

        if CONTROL.match(event["query"]):
            return
        with self._lock:
            for counter in self._counters:
                counter.events.append(event)
            if self._label is not None:
                self._open.setdefault(id(conn), []).append(event)

    def _end(self, conn) -> None:
        with self._lock:
            events = self._open.pop(id(conn), None)
            if events:
                self._done.append(events)


_KEY = pytest.StashKey[_Recorder]()


def _event(data: dict):
    from advisor.model import OrmLoad, TraceEvent

    return TraceEvent(query=data["query"], params=data["params"], duration_ms=data["duration_ms"],
                      call_site=data["call_site"], orm=OrmLoad.from_dict(data["orm"]) if data.get("orm") else None)


# -- judging -----------------------------------------------------------------------------------------


def n_plus_one(traces: list, thresholds: dict | None = None) -> list:
    """The read loops the ``n-plus-one`` rule finds in ``traces`` (writes are left out)."""
    from advisor.analyze.context import Context
    from advisor.model import Snapshot
    from rules import get_rule

    rule = get_rule(RULE)
    context = Context.build(Snapshot(traces=traces))
    context.rule_id, context.severity = rule.id, rule.severity
    context.thresholds = {**rule.thresholds, **(thresholds or {})}
    return [f for f in rule.check(context) if f.evidence.get("kind") == "read"]


def _thresholds(config) -> dict:
    from advisor.config import load_config
    from advisor.errors import AdvisorError

    path = config.rootpath / "pyproject.toml"
    try:
        settings = load_config(path) if path.is_file() else None
    except AdvisorError as exc:
        raise pytest.UsageError(f"advisor: {exc}") from None
    return dict(settings.rules[RULE].thresholds) if settings and RULE in settings.rules else {}


def _report(findings: list) -> str:
    count = f"{len(findings)} N+1 loop{'s' if len(findings) > 1 else ''}"
    return f"advisor: {count} in this test\n" + "\n".join(f"{f.message}\n  fix: {f.help}" for f in findings)
