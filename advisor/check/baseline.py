"""The baseline file: what the workload's statements looked like when the baseline was taken.

Versioned JSON (see docs/ci.md), written atomically, read with one-line errors:

    >>> b = Baseline(statements=[StatementRecord(fingerprint="ab", query="SELECT 1")])
    >>> Baseline.from_json(b.to_json()).statements[0].query
    'SELECT 1'
"""

from __future__ import annotations

import json
import os
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

from advisor.check.shape import Shape
from advisor.errors import AdvisorError
from advisor.model import Serializable

FORMAT = "advisor-baseline"
FORMAT_VERSION = 1


@dataclass
class StatementRecord(Serializable):
    """One statement of the workload, named by its fingerprint."""

    fingerprint: str
    query: str
    shape: Shape | None = None
    plan_error: str | None = None  # why there is no plan (utility statement, error text)
    unstable: str | None = None  # why the plan sits on a tie between two paths
    calls: int | None = None  # timings: only with --timings
    mean_time_ms: float | None = None
    stddev_time_ms: float | None = None


@dataclass
class RequestRecord(Serializable):
    """Queries per request for one kind of request (the trace's label, e.g. an endpoint)."""

    label: str
    requests: int = 0
    max_queries: int = 0
    mean_queries: float = 0.0
    repeats: dict[str, int] = field(default_factory=dict)  # fingerprint -> most in one request
    n_plus_one: dict[str, int] = field(default_factory=dict)  # the repeats that are N+1 patterns
    queries: dict[str, str] = field(default_factory=dict)  # fingerprint -> query text


@dataclass
class Baseline(Serializable):
    format: str = FORMAT
    format_version: int = FORMAT_VERSION
    created_at: str = ""  # informative only: never compared
    database: str = ""
    server_version: str = ""
    timings: bool = False
    traced: bool = False  # whether traces were given, so queries per request are known
    tables: dict[str, float] = field(default_factory=dict)  # qualname -> planner row estimate
    statements: list[StatementRecord] = field(default_factory=list)
    requests: list[RequestRecord] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    def statement(self, fingerprint: str) -> StatementRecord | None:
        return next((s for s in self.statements if s.fingerprint == fingerprint), None)

    def request(self, label: str) -> RequestRecord | None:
        return next((r for r in self.requests if r.label == label), None)

    def to_json(self) -> str:
        return json.dumps(self.to_dict(), indent=1, sort_keys=True) + "\n"

    @classmethod
    def from_json(cls, text: str, origin: str = "baseline") -> Baseline:
        try:
            data = json.loads(text)
        except json.JSONDecodeError as exc:
            raise AdvisorError(f"corrupt baseline {origin}: invalid JSON ({exc.msg} at line "
                               f"{exc.lineno}); write a new one with --write-baseline") from None
        if not isinstance(data, dict) or data.get("format") != FORMAT:
            raise AdvisorError(f"not a baseline: {origin} is JSON but not an advisor baseline")
        version = data.get("format_version")
        if not isinstance(version, int) or version > FORMAT_VERSION:
            raise AdvisorError(f"baseline {origin} has format version {version!r}; this advisor "
                               f"reads up to {FORMAT_VERSION}: upgrade advisor")
        try:
            return cls.from_dict(data)
        except (TypeError, AttributeError, KeyError, ValueError) as exc:
            raise AdvisorError(f"corrupt baseline {origin}: {exc}") from None


def read_baseline(path: Path) -> Baseline:
    try:
        text = Path(path).read_text(encoding="utf-8")
    except FileNotFoundError:
        raise AdvisorError(f"baseline {path} not found: write one with "
                           f"`advisor check --write-baseline {path}`") from None
    except OSError as exc:
        raise AdvisorError(f"cannot read baseline {path}: {exc.strerror}") from None
    except UnicodeDecodeError:
        raise AdvisorError(f"corrupt baseline {path}: not UTF-8 text") from None
    return Baseline.from_json(text, origin=str(path))


def write_baseline(baseline: Baseline, path: Path) -> Path:
    """Write ``baseline`` to ``path`` atomically: readers see the old file or the new one."""
    path = Path(path)
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            handle.write(baseline.to_json())
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp, path)
    except OSError as exc:
        raise AdvisorError(f"cannot write baseline {path}: {exc.strerror}") from None
    return path
