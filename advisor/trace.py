"""An app-side trace hook for SQLAlchemy: which statements each request ran, and from where.

    >>> tracer = Tracer(Path("traces.jsonl"))             # doctest: +SKIP
    >>> tracer.instrument(engine)                         # doctest: +SKIP
    >>> with tracer.request("GET /orders"):               # doctest: +SKIP
    ...     list_orders(session)
    >>> traces = load([Path("traces.jsonl")])             # doctest: +SKIP

Each request becomes one JSONL line ``{"id", "label", "events": [...]}``, written and flushed
when the request ends; an event holds the statement (placeholders as ``$n``, the way the server
and pg_stat_statements show it), its parameters, its duration, its offset in the request and the
application's own call site: the first stack frame outside SQLAlchemy, the advisor, threading
and installed packages. Requests are per thread, so a threaded app traces each request apart.
The ShopEase driver calls ``before_request``/``after_request``/``instrument`` by those names.
"""

from __future__ import annotations

import itertools
import json
import os
import re
import sys
import threading
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path

from advisor.errors import AdvisorError
from advisor.model import Trace, TraceEvent

_ADVISOR_DIR = os.path.dirname(os.path.abspath(__file__)) + os.sep
_SKIPPED = (os.sep + "sqlalchemy" + os.sep, os.sep + "site-packages" + os.sep,
            os.sep + "dist-packages" + os.sep, "threading.py", os.sep + "concurrent" + os.sep,
            "<frozen", os.sep + "contextlib.py")
_PLACEHOLDER = re.compile(r"%%|%\((\w+)\)s|%s")


class _Request:
    def __init__(self, id_: str, label: str | None):
        self.id, self.label = id_, label
        self.start = time.perf_counter()
        self.events: list[dict] = []


class Tracer:
    """Records the statements of each request into a JSONL file."""

    def __init__(self, path: Path):
        self.path = Path(path)
        self._local = threading.local()
        self._lock = threading.Lock()
        self._ids = itertools.count(1)
        self._prefix = f"{os.getpid()}-{int(time.time())}"

    def instrument(self, engine) -> None:
        from sqlalchemy import event

        event.listen(engine, "before_cursor_execute", self._before)
        event.listen(engine, "after_cursor_execute", self._after)

    def before_request(self, label: str | None = None) -> None:
        self._local.request = _Request(f"{self._prefix}-{next(self._ids)}", label)

    def after_request(self, label: str | None = None) -> None:
        request = getattr(self._local, "request", None)
        self._local.request = None
        if request is None:
            return
        line = json.dumps({"id": request.id, "label": request.label, "events": request.events},
                          default=str)
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

    def _before(self, conn, cursor, statement, parameters, context, executemany) -> None:
        conn.info.setdefault("advisor_started", []).append(time.perf_counter())

    def _after(self, conn, cursor, statement, parameters, context, executemany) -> None:
        started = conn.info.get("advisor_started") or [time.perf_counter()]
        begin = started.pop()
        request = getattr(self._local, "request", None)
        if request is None:
            return
        now = time.perf_counter()
        query, params = dollar_params(statement, _first_row(parameters, executemany))
        request.events.append({
            "query": query, "params": params, "duration_ms": round((now - begin) * 1000, 3),
            "offset_ms": round((begin - request.start) * 1000, 3), "call_site": call_site(),
        })


def _first_row(parameters, executemany: bool):
    if executemany and isinstance(parameters, list | tuple) and parameters:
        return parameters[0]
    return parameters


def dollar_params(statement: str, parameters) -> tuple[str, list[str | None] | None]:
    """A DBAPI ``%(name)s`` / ``%s`` statement as ``$n`` text, with its parameters in order.

        >>> dollar_params("SELECT * FROM t WHERE a = %(a)s AND b = %(b)s OR a = %(a)s", {"a": 1, "b": "x"})
        ('SELECT * FROM t WHERE a = $1 AND b = $2 OR a = $1', ['1', 'x'])
    """
    numbers: dict[str, int] = {}
    values: list = []
    positional = iter(parameters) if isinstance(parameters, list | tuple) else iter(())

    def replace(match: re.Match) -> str:
        if match.group(0) == "%%":
            return "%"
        name = match.group(1)
        if name is None:
            values.append(next(positional, None))
            return f"${len(values)}"
        if name not in numbers:
            values.append(parameters.get(name) if isinstance(parameters, dict) else None)
            numbers[name] = len(values)
        return f"${numbers[name]}"

    if not parameters:
        return statement, None
    text = _PLACEHOLDER.sub(replace, statement)
    return text, [None if v is None else str(v) for v in values]


def call_site() -> str | None:
    """``file.py:LINE in function`` of the first frame that is the application's own code."""
    frame = sys._getframe(1)
    while frame is not None:
        filename = frame.f_code.co_filename
        generated = filename.startswith("<")  # exec'd wrappers, e.g. SQLAlchemy's
        if not generated and not filename.startswith(_ADVISOR_DIR) and not any(
                s in filename for s in _SKIPPED):
            return f"{_relative(filename)}:{frame.f_lineno} in {frame.f_code.co_name}"
        frame = frame.f_back
    return None


def _relative(filename: str) -> str:
    try:
        relative = os.path.relpath(filename)
    except ValueError:
        return filename
    return filename if relative.startswith("..") else relative


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
                             call_site=e.get("call_site")) for e in data["events"]]
        return Trace(id=str(data["id"]), source="app", label=data.get("label"), events=events)
    except (json.JSONDecodeError, KeyError, TypeError, ValueError):
        raise AdvisorError(f"not an advisor trace file: {path} line {number}") from None
