"""An app-side trace hook for SQLAlchemy: which statements each request ran, from where, and
what the ORM loaded with them.

    >>> tracer = Tracer(Path("traces.jsonl"))             # doctest: +SKIP
    >>> tracer.instrument(engine)                         # doctest: +SKIP
    >>> with tracer.request("GET /orders"):               # doctest: +SKIP
    ...     list_orders(session)
    >>> traces = load([Path("traces.jsonl")])             # doctest: +SKIP

Each request becomes one JSONL line ``{"id", "label", "orm_hooked", "events": [...]}``, written
and flushed when the request ends; an event holds the statement (placeholders as ``$n``, the way
the server and pg_stat_statements show it), its parameters, its duration, its offset in the
request, the application's call site (``advisor.call_sites``: the first frame outside
SQLAlchemy, the driver, the advisor and the standard library, relative to ``root``) and, for an
ORM statement, what it loaded (``OrmLoad``: the lazily loaded relationship and the path to it).
``instrument`` takes an Engine or an AsyncEngine. The current request is a context variable: threads, and asyncio tasks, each trace their own.
The ShopEase driver calls ``before_request``/``after_request``/``instrument`` by those names.
"""

from __future__ import annotations

import contextvars
import itertools
import json
import os
import threading
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path

from advisor.errors import AdvisorError
from advisor.model import OrmLoad, Trace, TraceEvent
from advisor.statement_hook import StatementHook, dollar_params

__all__ = ["Tracer", "dollar_params", "load"]


class _Request:
    def __init__(self, id_: str, label: str | None):
        self.id, self.label = id_, label
        self.start = time.perf_counter()
        self.events: list[dict] = []


class Tracer:
    """Records the statements of each request into a JSONL file."""

    def __init__(self, path: Path, root: Path | str | None = None):
        self.path = Path(path)
        self._request: contextvars.ContextVar[_Request | None] = contextvars.ContextVar(
            f"advisor_request_{id(self)}", default=None)
        self._lock = threading.Lock()
        self._ids = itertools.count(1)
        self._prefix = f"{os.getpid()}-{int(time.time())}"
        self._hook = StatementHook(self._record, root)

    def instrument(self, engine) -> None:
        self._hook.watch(engine)

    def close(self) -> None:
        """Stop watching the engines (requests after this record nothing)."""
        self._hook.unwatch()

    def before_request(self, label: str | None = None) -> None:
        self._request.set(_Request(f"{self._prefix}-{next(self._ids)}", label))

    def after_request(self, label: str | None = None) -> None:
        request = self._request.get()
        self._request.set(None)
        if request is None:
            return
        line = json.dumps({"id": request.id, "label": request.label, "orm_hooked": True,
                           "events": request.events}, default=str)
        with self._lock, self.path.open("a", encoding="utf-8") as handle:
            handle.write(line + "\n")
            handle.flush()

    @contextmanager
    def request(self, label: str | None = None) -> Iterator[None]:
        self.before_request(label)
        try:
            yield
        finally:
            self.after_request(label)

    def _record(self, conn, event: dict) -> None:
        request = self._request.get()
        if request is None:
            return
        started = event.pop("started")
        event["offset_ms"] = round((started - request.start) * 1000, 3)
        request.events.append(event)


def load(paths: Sequence[Path]) -> list[Trace]:
    """The traces written by ``Tracer`` (source "app")."""
    traces: list[Trace] = []
    for path in paths:
        try:
            lines = Path(path).read_text(encoding="utf-8").splitlines()
        except (OSError, UnicodeDecodeError) as exc:
            raise AdvisorError(f"cannot read trace file {path}: {getattr(exc, 'strerror', None) or exc}") from None
        for number, line in enumerate(lines, start=1):
            if line.strip():
                traces.append(_trace(line, path, number))
    return traces


def _trace(line: str, path: Path, number: int) -> Trace:
    try:
        data = json.loads(line)
        events = [TraceEvent(query=e["query"], duration_ms=float(e.get("duration_ms", 0.0)),
                             offset_ms=float(e.get("offset_ms", 0.0)), params=e.get("params"),
                             call_site=e.get("call_site"),
                             orm=OrmLoad.from_dict(e["orm"]) if e.get("orm") else None)
                  for e in data["events"]]
        return Trace(id=str(data["id"]), source="app", label=data.get("label"), events=events,
                     orm_hooked=bool(data.get("orm_hooked")))
    except (json.JSONDecodeError, KeyError, TypeError, ValueError, AttributeError):
        raise AdvisorError(f"not an advisor trace file: {path} line {number}") from None
