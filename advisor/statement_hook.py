"""The SQLAlchemy events behind the trace hook and the pytest plugin.

    >>> hook = StatementHook(lambda conn, event: print(event["query"]))   # doctest: +SKIP
    >>> hook.watch(engine)     # doctest: +SKIP
    >>> hook.unwatch()         # doctest: +SKIP

``hook.watch()`` with no engine watches every engine, async ones included.

Each statement an engine runs becomes a dict: its text with ``$n`` placeholders (the way the
server and pg_stat_statements show it), its parameters, when it started and how long it took, the
app's call site and, for an ORM statement, what it loaded (``OrmLoad``'s fields): the mapped
classes, and for a relationship load the relationship (``Order.items``), whether it was a lazy
load, and the relationships leading to it from the query that loaded the first objects. The ORM
part comes from the Session's ``do_orm_execute`` event, which tags the statement's execution
options; the hook never changes what runs.
"""

from __future__ import annotations

import re
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from advisor.call_sites import CallSites

ORM_OPTION = "advisor_orm"
CONTROL = re.compile(r"^\s*(savepoint|release|rollback|begin|commit|start\s+transaction)\b", re.I)
_PLACEHOLDER = re.compile(r"%%|%\((\w+)\)s|%s")

Sink = Callable[[Any, dict], None]


class StatementHook:
    """Calls ``sink(connection, event)`` after each statement of the watched engines, and
    ``on_end(connection)`` when one of their transactions commits or rolls back."""

    def __init__(self, sink: Sink, root: Path | str | None = None,
                 on_end: Callable[[Any], None] | None = None):
        self.sink, self.on_end = sink, on_end
        self.call_sites = CallSites(root)
        self._targets: list = []

    def watch(self, engine=None) -> None:
        """Watch ``engine`` (sync or ``AsyncEngine``), or every engine when None."""
        from sqlalchemy import Engine, event

        target = Engine if engine is None else getattr(engine, "sync_engine", engine)
        event.listen(target, "before_cursor_execute", self._before)
        event.listen(target, "after_cursor_execute", self._after)
        if self.on_end is not None:
            event.listen(target, "commit", self.on_end)
            event.listen(target, "rollback", self.on_end)
        self._targets.append(target)
        _ORM_TAGS.acquire()

    def unwatch(self) -> None:
        from sqlalchemy import event

        for target in self._targets:
            event.remove(target, "before_cursor_execute", self._before)
            event.remove(target, "after_cursor_execute", self._after)
            if self.on_end is not None:
                event.remove(target, "commit", self.on_end)
                event.remove(target, "rollback", self.on_end)
            _ORM_TAGS.release()
        self._targets = []

    def _before(self, conn, cursor, statement, parameters, context, executemany) -> None:
        conn.info.setdefault("advisor_started", []).append(time.perf_counter())

    def _after(self, conn, cursor, statement, parameters, context, executemany) -> None:
        started = conn.info.get("advisor_started") or [time.perf_counter()]
        begin = started.pop()
        duration = time.perf_counter() - begin
        query, params = dollar_params(statement, _first_row(parameters, executemany))
        options = getattr(context, "execution_options", None) or {}
        event = {"query": query, "params": params, "duration_ms": round(duration * 1000, 3),
                 "started": begin, "call_site": self.call_sites.here()}
        if options.get(ORM_OPTION):
            event["orm"] = options[ORM_OPTION]
        self.sink(conn, event)


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


# -- what the ORM loaded -------------------------------------------------------------------------


def orm_load(state) -> dict | None:
    """``OrmLoad`` fields for one ``ORMExecuteState`` (None when there is nothing to say)."""
    entities = _entities(state)
    if not state.is_relationship_load:
        return {"entities": entities} if entities else None
    props = _relationships(state)
    if not props:
        return {"entities": entities} if entities else None
    return {"entities": entities, "relationship": props[-1][0], "lazy": state.lazy_loaded_from is not None,
            "path": [name for name, _ in props], "collections": [many for _, many in props]}


def _entities(state) -> list[str]:
    if not state.is_select:
        return []
    names: list[str] = []
    for column in state.statement.column_descriptions:
        name = getattr(column.get("entity"), "__name__", None)
        if name and name not in names:
            names.append(name)
    return names


def _relationships(state) -> list[tuple[str, bool]]:
    """(``Class.attribute``, is a collection) from the first query's entity to this load: a lazy
    load continues the path its parent object was loaded by."""
    strategy = _props(state.loader_strategy_path.path) if state.loader_strategy_path else []
    origin = state.lazy_loaded_from
    if origin is not None and origin.load_path and strategy:
        return _props(origin.load_path.path) + strategy[-1:]
    return strategy


def _props(path) -> list[tuple[str, bool]]:
    found = []
    for before, step in zip([None, *path], path, strict=False):
        if hasattr(step, "uselist") and hasattr(step, "key"):
            owner = getattr(before, "class_", None) or step.parent.class_
            found.append((f"{owner.__name__}.{step.key}", bool(step.uselist)))
    return found


class _OrmTags:
    """One ``do_orm_execute`` listener on every Session while any hook watches."""

    def __init__(self):
        self._users = 0
        self._lock = threading.Lock()

    def acquire(self) -> None:
        from sqlalchemy import event
        from sqlalchemy.orm import Session

        with self._lock:
            if self._users == 0:
                event.listen(Session, "do_orm_execute", _tag)
            self._users += 1

    def release(self) -> None:
        from sqlalchemy import event
        from sqlalchemy.orm import Session

        with self._lock:
            self._users -= 1
            if self._users == 0:
                event.remove(Session, "do_orm_execute", _tag)


def _tag(state) -> None:
    try:
        load = orm_load(state)
    except Exception:  # an exotic mapping must never break the app's query
        return
    if load:
        state.update_execution_options(**{ORM_OPTION: load})


_ORM_TAGS = _OrmTags()
