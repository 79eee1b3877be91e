"""Traces from PostgreSQL server logs: stderr (any ``log_line_prefix``), csvlog and jsonlog.

    >>> traces, statements = read_traces([Path("fixtures/logs/stderr.log")])  # doctest: +SKIP

The server logs each statement with its duration when ``log_min_duration_statement = 0``:
``duration: 0.1 ms  statement: ...`` (simple protocol) or ``duration: 0.1 ms  execute
<unnamed>: ...`` followed by ``DETAIL:  parameters: $1 = '5'`` (extended protocol). The parse and
bind steps of the extended protocol are logged apart; their durations are added to the execute
that follows in the same session. Statements are grouped into one trace per transaction:
(session id ``%c``, virtual transaction id ``%v``); a statement logged outside a transaction
(``%v`` is ``N/0``) is a trace of its own. The advisor's own sessions (application_name
'advisor'), transaction control, SET/SHOW and statements on system catalogs are left out.
Logged text with constants is put in pg_stat_statements' shape (constants become ``$n``).

Several files are one workload: a rotated log (``postgresql-*.log``, a glob the shell expanded or
one given quoted, or a folder) is read file after file in the order of their first timestamps, so
a transaction the rotation cut in two is still one trace.
"""

from __future__ import annotations

import csv
import glob
import json
import re
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

from advisor.capture.filters import is_workload, parameterize
from advisor.db import APPLICATION_NAME
from advisor.errors import AdvisorError
from advisor.model import Statement, Trace, TraceEvent

EMBEDDED_PREFIX = "%m [%p] %c %v %a: "
KNOWN_PREFIXES = (EMBEDDED_PREFIX, "%m [%p] ", "%t [%p] ", "%m [%p] %q%u@%d ", "%t [%p]: [%l-1] ",
                  "%t [%p]: [%l-1] user=%u,db=%d,app=%a,client=%h ",
                  "%m [%p] %c %v %a %u@%d: ")
CSV_FIELDS = ("log_time", "user_name", "database_name", "process_id", "connection_from",
              "session_id", "session_line_num", "command_tag", "session_start_time",
              "virtual_transaction_id", "transaction_id", "error_severity", "sql_state_code",
              "message", "detail", "hint", "internal_query", "internal_query_pos", "context",
              "query", "query_pos", "location", "application_name")
_DURATION = re.compile(r"duration: ([\d.]+) ms\s+(statement|execute|parse|bind) ?([^:]*?):\s?(.*)",
                       re.S)
_PARAM_VALUE = re.compile(r"\$(\d+) = (NULL|'((?:[^']|'')*)')")
_LEVEL = r"(?P<level>LOG|DETAIL|ERROR|STATEMENT|HINT|CONTEXT|WARNING|NOTICE|FATAL|PANIC|INFO|DEBUG\d?):  "
_ESCAPES = {
    "a": r"(?P<app>.*?)", "u": r"(?P<user>.*?)", "d": r"(?P<db>.*?)", "r": r"\S*", "h": r"\S*",
    "b": r".*?", "p": r"(?P<pid>\d+)", "P": r"\d*",
    "t": r"(?P<ts>\d{4}-\d\d-\d\d \d\d:\d\d:\d\d(?: [A-Za-z0-9+:-]+)?)",
    "m": r"(?P<ts>\d{4}-\d\d-\d\d \d\d:\d\d:\d\d\.\d+(?: [A-Za-z0-9+:-]+)?)",
    "n": r"(?P<epoch>[\d.]+)", "i": r".*?", "e": r"\w{5}", "c": r"(?P<session>[0-9a-f]+\.[0-9a-f]+)",
    "l": r"\d+", "s": r"\d{4}-\d\d-\d\d \d\d:\d\d:\d\d(?: \S+)?", "v": r"(?P<vxid>(?:\d+/\d+)?)",
    "x": r"\d*", "Q": r"-?\d*", "q": "",
}
_GLOB = re.compile(r"[*?\[]")
_SKIP = re.compile(r"^\s*(begin|start|commit|end|rollback|abort|savepoint|release|set|reset|show|"
                   r"deallocate|discard|prepare|listen|unlisten|notify)\b", re.I)


@dataclass
class Entry:
    """One log record, whatever the format."""

    session: str
    vxid: str
    app: str
    ts: datetime | None
    level: str
    message: str
    detail: str = ""
    db: str = ""


@dataclass
class _Pending:
    key: str
    label: str | None
    start: datetime | None
    events: list[TraceEvent] = field(default_factory=list)


@dataclass
class LogRead:
    """What the logs hold: traces, statements, and the time their records span (None: no
    timestamps)."""

    traces: list[Trace]
    statements: list[Statement]
    start: datetime | None = None
    end: datetime | None = None
    names_databases: bool = False  # csvlog, jsonlog, or a prefix with %d: lines can be told apart

    def window(self) -> list[str] | None:
        """[start, end] for ``Snapshot.log_window``: log_timezone read as UTC (only the span counts)."""
        if self.start is None or self.end is None:
            return None
        return [t.replace(tzinfo=UTC).isoformat() for t in (self.start, self.end)]


def read_traces(paths: Sequence[Path], *, log_line_prefix: str | None = None,
                database: str | None = None) -> tuple[list[Trace], list[Statement]]:
    """Traces (one per transaction) and statements (aggregated by fingerprint) from the logs."""
    read = read_log(paths, log_line_prefix=log_line_prefix, database=database)
    return read.traces, read.statements


def read_log(paths: Sequence[Path], *, log_line_prefix: str | None = None,
             database: str | None = None) -> LogRead:
    """``read_traces``, with the span of the records read.

    ``database`` keeps only that database's lines, where the log names it (csvlog, jsonlog, or
    a prefix with ``%d``).
    """
    files = in_order(log_files(paths), log_line_prefix)
    entries: Iterable[Entry] = (e for path in files for e in _entries(path, log_line_prefix))
    if database:
        entries = (e for e in entries if not e.db or e.db == database)
    seen: list[datetime] = []
    named: list[bool] = []
    traces = _traces(_stamped(entries, seen, named))
    return LogRead(traces, statements_of(traces), min(seen, default=None), max(seen, default=None),
                   names_databases=bool(named))


def _stamped(entries: Iterable[Entry], seen: list[datetime], named: list[bool]) -> Iterator[Entry]:
    """``entries``; the first and last timestamps kept in ``seen``, and whether any names its
    database in ``named``."""
    for entry in entries:
        if entry.db and not named:
            named.append(True)
        if entry.ts is not None:  # all in the server's log_timezone: only their distance counts
            ts = entry.ts.replace(tzinfo=None)
            if not seen:
                seen += [ts, ts]
            seen[0], seen[1] = min(seen[0], ts), max(seen[1], ts)
        yield entry


def log_files(paths: Sequence[Path | str]) -> list[Path]:
    """The files ``paths`` name: each a file, a folder (its files) or a glob; each file once."""
    found: dict[Path, Path] = {}
    for given in paths:
        path = Path(given)
        if path.is_dir():
            matches = sorted(p for p in path.iterdir() if p.is_file() and not p.name.startswith("."))
            if not matches:
                raise AdvisorError(f"no log file in {path}")
        elif path.exists() or not _GLOB.search(str(path)):
            matches = [path]
        else:
            matches = sorted(Path(p) for p in glob.glob(str(path)) if Path(p).is_file())
            if not matches:
                raise AdvisorError(f"no log file matches {path}")
        for match in matches:
            found.setdefault(match.resolve(), match)
    return list(found.values())


def in_order(paths: list[Path], prefix: str | None = None) -> list[Path]:
    """Rotated files oldest first: by each one's first timestamp (those without one last)."""
    def first(path: Path) -> tuple:
        ts = next((e.ts for e in _entries(path, prefix) if e.ts is not None), None)
        return (ts is None, ts.replace(tzinfo=None) if ts else datetime.min, str(path))

    return sorted(paths, key=first)


def statements_of(traces: Iterable[Trace]) -> list[Statement]:
    """One Statement per fingerprint seen in ``traces``, with calls and times from the log."""
    found: dict[str, Statement] = {}
    for trace in traces:
        for event in trace.events:
            s = found.get(event.fingerprint)
            if s is None:
                s = found[event.fingerprint] = Statement(query=event.query, source="log",
                                                         fingerprint=event.fingerprint)
            s.calls += 1
            s.total_time_ms += event.duration_ms
    for s in found.values():
        s.mean_time_ms = s.total_time_ms / s.calls
    return sorted(found.values(), key=lambda s: (-s.total_time_ms, s.fingerprint))


# -- reading the files ---------------------------------------------------------------------------

def _entries(path: Path, prefix: str | None) -> Iterator[Entry]:
    try:
        with path.open(encoding="utf-8", errors="replace", newline="") as handle:
            head = handle.read(4096)
            handle.seek(0)
            kind = _kind(path, head)
            if kind == "json":
                yield from _json_entries(handle, path)
            elif kind == "csv":
                yield from _csv_entries(handle, path)
            else:
                yield from _stderr_entries(handle, prefix or detect_prefix(head.splitlines()), path)
    except OSError as exc:
        raise AdvisorError(f"cannot read log {path}: {exc.strerror or exc}") from None


def _kind(path: Path, head: str) -> str:
    if path.suffix == ".json" or head.lstrip().startswith("{"):
        return "json"
    if path.suffix == ".csv" or re.match(r'^\d{4}-\d\d-\d\d [\d:.]+ \w+,("[^"]*")?,', head):
        return "csv"
    return "stderr"


def prefix_regex(prefix: str) -> re.Pattern:
    """A regex for the log lines of ``log_line_prefix`` followed by a severity."""
    out, i, optional = [], 0, False
    while i < len(prefix):
        ch = prefix[i]
        if ch == "%" and i + 1 < len(prefix):
            match = re.match(r"%(-?\d*)(.)", prefix[i:])
            letter = match.group(2)
            i += len(match.group(0))
            if letter == "%":
                out.append("%")
            elif letter == "q":
                out.append("(?:")
                optional = True
            else:
                out.append(r"\s*" + _ESCAPES.get(letter, r".*?") + r"\s*" if match.group(1)
                           else _ESCAPES.get(letter, r".*?"))
        else:
            out.append(re.escape(ch))
            i += 1
    text = "".join(out) + (")?" if optional else "")
    seen: set[str] = set()

    def once(m: re.Match) -> str:
        name = m.group(1)
        if name in seen:
            return "(?:"
        seen.add(name)
        return m.group(0)

    return re.compile("^" + re.sub(r"\(\?P<(\w+)>", once, text) + _LEVEL + "(?P<msg>.*)$")


def detect_prefix(lines: list[str]) -> str:
    """The known ``log_line_prefix`` that matches most of ``lines`` (the embedded one by default)."""
    best, best_hits = EMBEDDED_PREFIX, 0
    sample = [line for line in lines[:50] if line and not line.startswith("\t")]
    for prefix in KNOWN_PREFIXES:
        regex = prefix_regex(prefix)
        hits = sum(1 for line in sample if regex.match(line))
        if hits > best_hits:
            best, best_hits = prefix, hits
    return best


def _stderr_entries(handle, prefix: str, path: Path) -> Iterator[Entry]:
    regex = prefix_regex(prefix)
    current: Entry | None = None
    for line in handle:
        line = line.rstrip("\n").rstrip("\r")
        if line.startswith("\t") and current is not None:
            if current.level == "DETAIL":
                current.detail += "\n" + line[1:]
            else:
                current.message += "\n" + line[1:]
            continue
        match = regex.match(line)
        if not match:
            continue
        if current is not None:
            yield current
        groups = match.groupdict()
        level, message = groups["level"], groups["msg"]
        current = Entry(session=groups.get("session") or groups.get("pid") or "",
                        vxid=groups.get("vxid") or "", app=groups.get("app") or "",
                        ts=_timestamp(groups.get("ts")), level=level, message=message,
                        detail=message if level == "DETAIL" else "", db=groups.get("db") or "")
    if current is not None:
        yield current


def _csv_entries(handle, path: Path) -> Iterator[Entry]:
    try:
        for row in csv.reader(handle):
            if len(row) < 14:
                continue
            record = dict(zip(CSV_FIELDS, row, strict=False))
            yield Entry(session=record.get("session_id", ""),
                        vxid=record.get("virtual_transaction_id", ""),
                        app=record.get("application_name", ""), ts=_timestamp(record["log_time"]),
                        level=record.get("error_severity", ""), message=record.get("message", ""),
                        detail=record.get("detail", ""), db=record.get("database_name", ""))
    except csv.Error as exc:
        raise AdvisorError(f"cannot read csvlog {path}: {exc}") from None


def _json_entries(handle, path: Path) -> Iterator[Entry]:
    for number, line in enumerate(handle, start=1):
        if not line.strip():
            continue
        try:
            record = json.loads(line)
        except json.JSONDecodeError:
            raise AdvisorError(f"cannot read jsonlog {path}: line {number} is not JSON") from None
        yield Entry(session=str(record.get("session_id", record.get("pid", ""))),
                    vxid=str(record.get("vxid", "")), app=str(record.get("application_name", "")),
                    ts=_timestamp(record.get("timestamp")),
                    level=str(record.get("error_severity", "")),
                    message=str(record.get("message", "")), detail=str(record.get("detail", "")),
                    db=str(record.get("dbname", "")))


def _timestamp(text: str | None) -> datetime | None:
    if not text:
        return None
    parts = text.split()
    try:
        return datetime.fromisoformat(" ".join(parts[:2]))
    except ValueError:
        return None


# -- grouping into traces ------------------------------------------------------------------------

def _traces(entries: Iterable[Entry]) -> list[Trace]:
    open_: dict[str, _Pending] = {}  # session -> its trace in progress
    done: list[_Pending] = []
    setup_ms: dict[str, float] = {}  # parse/bind time waiting for its execute
    last_event: dict[str, TraceEvent] = {}  # session -> the event a DETAIL line belongs to
    counter = 0
    for entry in entries:
        if entry.level == "DETAIL":
            event = last_event.pop(entry.session, None)
            if event is not None and entry.detail.startswith("parameters:"):
                event.params = parse_params(entry.detail)
            continue
        last_event.pop(entry.session, None)
        if entry.level != "LOG" or entry.app == APPLICATION_NAME:
            continue
        match = _DURATION.match(entry.message)
        if not match:
            continue
        duration, step, _name, text = float(match.group(1)), match.group(2), match.group(3), match.group(4)
        if step in ("parse", "bind"):
            setup_ms[entry.session] = setup_ms.get(entry.session, 0.0) + duration
            continue
        duration = round(duration + setup_ms.pop(entry.session, 0.0), 3)
        if _SKIP.match(text) or not is_workload(text):
            continue
        in_transaction = entry.vxid and not entry.vxid.endswith("/0")
        key = f"{entry.session}:{entry.vxid}" if in_transaction else None
        pending = open_.get(entry.session)
        if pending is None or key is None or pending.key != key:
            if pending is not None:
                done.append(pending)
            counter += 1
            pending = _Pending(key=key or f"{entry.session}:#{counter}", label=None, start=entry.ts)
            open_[entry.session] = pending
            if key is None:
                del open_[entry.session]
                done.append(pending)
        query, values = parameterize(text)
        offset = (entry.ts - pending.start).total_seconds() * 1000 if entry.ts and pending.start else 0.0
        event = TraceEvent(query=query, duration_ms=duration, offset_ms=round(max(offset, 0.0), 3),
                           params=values or None)
        pending.events.append(event)
        if step == "execute":
            last_event[entry.session] = event
        if entry.detail.startswith("parameters:"):
            event.params = parse_params(entry.detail)
    done += open_.values()
    done.sort(key=lambda p: p.start or datetime.min)
    return [Trace(id=p.key, source="log", label=None, events=p.events) for p in done if p.events]


def parse_params(detail: str) -> list[str | None]:
    """``parameters: $1 = '5', $2 = NULL`` -> ['5', None]."""
    values: dict[int, str | None] = {}
    for n, raw, quoted in _PARAM_VALUE.findall(detail):
        values[int(n)] = None if raw == "NULL" else quoted.replace("''", "'")
    return [values.get(n) for n in range(1, max(values, default=0) + 1)]
