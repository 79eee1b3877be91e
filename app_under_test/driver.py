"""Drive ShopEase with a weighted, deterministic mix of requests and measure it.

    >>> from app_under_test.driver import run_workload, render_table
    >>> result = run_workload(dsn, requests=500, concurrency=4)     # doctest: +SKIP
    >>> result.overall.p95_ms, result.endpoints["list_products"].mean_queries  # doctest: +SKIP
    (41.2, 21.0)

The request sequence (endpoint and parameters) is a function of ``seed`` and the data: ids come
from the database's own skew (popular products are viewed most, busy buyers check their orders
most). Each request runs in exactly one transaction on one connection, so a server log groups
its statements by virtual transaction id; ``checkout`` commits, reads commit too (nothing to
write). Queries per request are counted with a ``before_cursor_execute`` listener.
"""

from __future__ import annotations

import bisect
import itertools
import random
import threading
import time
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import asdict, dataclass, field

import pandas as pd
import psycopg
from rich.table import Table
from sqlalchemy import Engine, event
from sqlalchemy.orm import Session

from app_under_test import words
from app_under_test.db import make_engine
from app_under_test.endpoints import ENDPOINTS

DEFAULT_MIX = {
    "list_products": 0.24,
    "product_detail": 0.24,
    "search_products": 0.12,
    "order_history": 0.10,
    "view_cart": 0.08,
    "login": 0.08,
    "cheap_products": 0.04,
    "checkout": 0.04,
    "seller_dashboard": 0.03,
    "pending_orders": 0.03,
}
SETUP_APPLICATION_NAME = "shopease-setup"
SEARCH_TERMS = words.NOUNS + words.ADJECTIVES + words.MATERIALS
MAX_ERROR_SAMPLES = 5

Hook = Callable[[str], None]


# -- the data the parameters are drawn from --------------------------------------------------

@dataclass
class Weighted:
    """Ids with weights; ``draw`` picks one with probability proportional to its weight."""

    ids: list
    cum: list[float]

    @classmethod
    def of(cls, rows) -> Weighted:
        rows = list(rows)
        if not rows:
            return cls([], [])
        return cls([row[0] for row in rows], list(itertools.accumulate(float(row[1]) for row in rows)))

    def draw(self, rng: random.Random):
        if not self.ids:
            return None
        return self.ids[bisect.bisect(self.cum, rng.random() * self.cum[-1])]


@dataclass
class Population:
    """What a request's parameters are drawn from, read once from the database."""

    categories: Weighted
    products: Weighted
    buyers: Weighted
    sellers: Weighted
    cart_owners: list[int]
    emails: list[str]

    @classmethod
    def load(cls, dsn: str) -> Population:
        with psycopg.connect(dsn, application_name=SETUP_APPLICATION_NAME) as conn:
            def rows(sql: str) -> list:
                return conn.execute(sql).fetchall()
            return cls(
                # Shoppers reach every category from the menu, and every seller checks
                # their dashboard: these two are drawn uniformly, whatever their size.
                categories=Weighted.of(rows(
                    "SELECT DISTINCT category_id, 1 FROM products ORDER BY category_id")),
                products=Weighted.of(rows("SELECT id, review_count + 1 FROM products ORDER BY id")),
                buyers=Weighted.of(rows(
                    "SELECT user_id, count(*) FROM orders GROUP BY user_id ORDER BY user_id")),
                sellers=Weighted.of(rows("SELECT id, 1 FROM sellers ORDER BY id")),
                cart_owners=[row[0] for row in rows(
                    "SELECT DISTINCT c.user_id FROM carts c JOIN cart_items i ON i.cart_id = c.id "
                    "ORDER BY c.user_id")],
                emails=[row[0] for row in rows("SELECT email FROM users ORDER BY id")],
            )


# -- the request sequence ---------------------------------------------------------------------

@dataclass(frozen=True)
class Request:
    label: str
    params: dict


class Planner:
    """Turns a seed into an endless, deterministic sequence of requests."""

    def __init__(self, population: Population, mix: dict[str, float], seed: int, eager: bool):
        self.population, self.eager = population, eager
        self.rng = random.Random(seed)
        self.labels = list(mix)
        self.cum = list(itertools.accumulate(mix[label] for label in self.labels))
        self.checkout_queue = list(population.cart_owners)
        self.rng.shuffle(self.checkout_queue)

    def __iter__(self) -> Iterator[Request]:
        while True:
            label = self.labels[bisect.bisect(self.cum, self.rng.random() * self.cum[-1])]
            yield Request(label, getattr(self, f"_{label}")())

    def _list_products(self) -> dict:
        page = 1 if self.rng.random() < 0.7 else self.rng.randint(2, 5)
        return {"category_id": self.population.categories.draw(self.rng), "page": page, "eager": self.eager}

    def _list_products_deep(self) -> dict:
        return {"category_id": self.population.categories.draw(self.rng),
                "page": self.rng.randint(50, 150), "eager": self.eager}

    def _product_detail(self) -> dict:
        return {"product_id": self.population.products.draw(self.rng), "eager": self.eager}

    def _search_products(self) -> dict:
        return {"term": self.rng.choice(SEARCH_TERMS)}

    def _cheap_products(self) -> dict:
        return {"max_price": self.rng.choice((2.0, 3.0, 5.0, 10.0))}

    def _order_history(self) -> dict:
        return {"user_id": self.population.buyers.draw(self.rng), "eager": self.eager}

    def _view_cart(self) -> dict:
        return {"user_id": self.rng.choice(self.population.cart_owners), "eager": self.eager}

    def _login(self) -> dict:
        email = self.rng.choice(self.population.emails)
        return {"email": email.lower() if self.rng.random() < 0.8 else email.upper()}

    def _seller_dashboard(self) -> dict:
        return {"seller_id": self.population.sellers.draw(self.rng)}

    def _pending_orders(self) -> dict:
        return {}

    def _checkout(self) -> dict:
        # Each checkout empties a different cart while there are carts left.
        queue = self.checkout_queue
        return {"user_id": queue.pop() if queue else self.rng.choice(self.population.cart_owners)}


# -- results ----------------------------------------------------------------------------------

@dataclass
class EndpointStats:
    requests: int
    errors: int
    rps: float
    p50_ms: float
    p95_ms: float
    p99_ms: float
    mean_ms: float
    mean_queries: float
    max_queries: int = 0
    mean_sql_ms: float = 0.0  # time inside the request's statements, as the app waits for them


@dataclass
class WorkloadResult:
    """Per-endpoint and overall figures of one run."""

    endpoints: dict[str, EndpointStats]
    overall: EndpointStats
    duration_s: float
    concurrency: int
    eager: bool
    seed: int
    error_samples: list[str] = field(default_factory=list)

    def to_dict(self) -> dict:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict) -> WorkloadResult:
        return cls(**{**data,
                      "endpoints": {k: EndpointStats(**v) for k, v in data["endpoints"].items()},
                      "overall": EndpointStats(**data["overall"])})


@dataclass
class Record:
    label: str
    latency_ms: float
    queries: int
    error: str | None = None
    sql_ms: float = 0.0


def summarize(records: list[Record], duration_s: float) -> tuple[dict[str, EndpointStats], EndpointStats]:
    """Per-label and overall stats of ``records`` (latency percentiles over all requests)."""
    frame = pd.DataFrame([asdict(record) for record in records],
                         columns=["label", "latency_ms", "queries", "error", "sql_ms"])

    def stats(rows: pd.DataFrame) -> EndpointStats:
        latency = rows["latency_ms"]
        quantiles = latency.quantile([0.5, 0.95, 0.99]) if len(rows) else pd.Series([0.0] * 3)
        return EndpointStats(
            requests=len(rows), errors=int(rows["error"].notna().sum()),
            rps=round(len(rows) / duration_s, 2) if duration_s else 0.0,
            p50_ms=round(float(quantiles.iloc[0]), 2), p95_ms=round(float(quantiles.iloc[1]), 2),
            p99_ms=round(float(quantiles.iloc[2]), 2),
            mean_ms=round(float(latency.mean()), 2) if len(rows) else 0.0,
            mean_queries=round(float(rows["queries"].mean()), 2) if len(rows) else 0.0,
            max_queries=int(rows["queries"].max()) if len(rows) else 0,
            mean_sql_ms=round(float(rows["sql_ms"].mean()), 2) if len(rows) else 0.0,
        )

    per_label = {label: stats(rows) for label, rows in frame.groupby("label", sort=True)}
    return per_label, stats(frame)


# -- running ----------------------------------------------------------------------------------

class _StatementMeter:
    """Per thread, the statements a request runs and the time spent inside them (driver and
    round trips included): what tells an endpoint waiting on its database from one busy in the
    app itself."""

    def __init__(self, engine: Engine):
        self.local = threading.local()
        event.listen(engine, "before_cursor_execute", self._start)
        event.listen(engine, "after_cursor_execute", self._stop)

    def _start(self, *_args) -> None:
        self.local.count = self.count + 1
        self.local.started = time.perf_counter()

    def _stop(self, *_args) -> None:
        self.local.seconds = getattr(self.local, "seconds", 0.0) + \
            time.perf_counter() - self.local.started

    def reset(self) -> None:
        self.local.count, self.local.seconds = 0, 0.0

    @property
    def count(self) -> int:
        return getattr(self.local, "count", 0)

    @property
    def sql_ms(self) -> float:
        return getattr(self.local, "seconds", 0.0) * 1000


class _Runner:
    def __init__(self, engine: Engine, before: Hook | None, after: Hook | None):
        self.engine, self.before, self.after = engine, before, after
        self.meter = _StatementMeter(engine)

    def execute(self, request: Request, arrival: float | None = None) -> Record:
        """One request in one transaction; its latency, query count and error if any.

        Latency counts from ``arrival`` (a ``perf_counter`` time) when given: an open-loop
        request that waited for a free worker waited in the user's eyes too.
        """
        if self.before:
            self.before(request.label)
        self.meter.reset()
        error = None
        start = time.perf_counter() if arrival is None else arrival
        try:
            with Session(self.engine) as session, session.begin():
                ENDPOINTS[request.label](session, **request.params)
        except Exception as exc:  # noqa: BLE001 - a failed request is a figure, not a crash
            error = f"{request.label}: {type(exc).__name__}: {str(exc).splitlines()[0][:200]}"
        latency = (time.perf_counter() - start) * 1000
        if self.after:
            self.after(request.label)
        return Record(request.label, latency, self.meter.count, error, self.meter.sql_ms)


def _check_mix(mix: dict[str, float]) -> dict[str, float]:
    unknown = sorted(set(mix) - set(ENDPOINTS))
    if unknown:
        raise ValueError(f"unknown endpoint(s) in mix: {', '.join(unknown)}; known: {', '.join(ENDPOINTS)}")
    mix = {label: weight for label, weight in mix.items() if weight > 0}
    if not mix:
        raise ValueError("the mix has no endpoint with a positive weight")
    return mix


def run_workload(dsn: str, *, requests: int | None = None, duration: float | None = None,
                 concurrency: int = 4, eager: bool = False, warmup: int = 20, seed: int = 7,
                 mix: dict[str, float] | None = None, rate: float | None = None,
                 on_progress: Callable[[int, int | None], None] | None = None,
                 before_request: Hook | None = None, after_request: Hook | None = None,
                 engine_hook: Callable[[Engine], None] | None = None) -> WorkloadResult:
    """Run ``requests`` requests (or for ``duration`` seconds; 200 requests if neither) on ``dsn``.

    ``before_request``/``after_request`` are called with the endpoint label around every request
    (warm-up included), in the thread that runs it; ``engine_hook`` once with the engine.
    ``on_progress(done, total)`` after each measured request (``total`` None when timed).

    Closed loop by default: ``concurrency`` clients, each sending its next request when the
    last one is answered, so the run measures what the app sustains. With ``rate``, open loop:
    requests arrive ``rate`` per second on a fixed schedule, ``concurrency`` workers serve them in
    order, and latency counts from the scheduled arrival, so queueing is measured, not hidden.
    """
    mix = _check_mix(mix or DEFAULT_MIX)
    if requests is None and duration is None:
        requests = 200
    planner = iter(Planner(Population.load(dsn), mix, seed, eager))
    engine = make_engine(dsn, pool_size=concurrency, max_overflow=0)
    if engine_hook:
        engine_hook(engine)
    runner = _Runner(engine, before_request, after_request)
    try:
        with ThreadPoolExecutor(max_workers=concurrency, thread_name_prefix="shopease") as pool:
            list(pool.map(runner.execute, itertools.islice(planner, warmup)))
            records, elapsed = _measure(pool, runner, planner, concurrency, requests, duration,
                                        rate, on_progress)
    finally:
        engine.dispose()
    per_label, overall = summarize(records, elapsed)
    samples = list(dict.fromkeys(r.error for r in records if r.error))[:MAX_ERROR_SAMPLES]
    return WorkloadResult(per_label, overall, round(elapsed, 3), concurrency, eager, seed, samples)


def _measure(pool, runner, planner, concurrency, requests, duration, rate, on_progress):
    lock = threading.Lock()
    records: list[Record] = []
    source = enumerate(itertools.islice(planner, requests) if requests is not None else planner)
    start = time.perf_counter()
    deadline = start + duration if duration is not None else None

    def worker() -> None:
        while deadline is None or time.perf_counter() < deadline:
            with lock:
                index, request = next(source, (None, None))
            if request is None:
                return
            arrival = None
            if rate:
                arrival = start + index / rate
                time.sleep(max(0.0, arrival - time.perf_counter()))
            record = runner.execute(request, arrival)
            with lock:  # progress is reported in order
                records.append(record)
                if on_progress:
                    on_progress(len(records), requests)

    for future in [pool.submit(worker) for _ in range(concurrency)]:
        future.result()
    return records, time.perf_counter() - start


# -- rendering --------------------------------------------------------------------------------

_COLUMNS = ("requests", "errors", "rps", "p50_ms", "p95_ms", "p99_ms", "mean_queries")


def render_table(result: WorkloadResult, title: str | None = None) -> Table:
    """The run as a rich table: one row per endpoint and a total row."""
    mode = "eager" if result.eager else "lazy"
    table = Table(title=title or f"ShopEase workload ({mode}, concurrency {result.concurrency}, "
                                 f"{result.duration_s:.1f} s)")
    table.add_column("endpoint")
    for column in _COLUMNS:
        table.add_column(column.replace("_ms", " ms").replace("mean_queries", "queries/req"),
                         justify="right")
    rows = [*result.endpoints.items(), ("all", result.overall)]
    for index, (label, stats) in enumerate(rows):
        values = [f"{getattr(stats, column):g}" for column in _COLUMNS]
        table.add_row(label, *values, end_section=index == len(rows) - 2)
    return table


def compare_table(before: WorkloadResult, after: WorkloadResult, title: str = "before → after") -> Table:
    """Two runs side by side: p95, RPS and queries per request, with the p95 speed-up."""
    table = Table(title=title)
    for column in ("endpoint", "p95 ms before", "p95 ms after", "speed-up", "rps before",
                   "rps after", "queries/req before", "queries/req after"):
        table.add_column(column, justify="left" if column == "endpoint" else "right")
    labels = sorted(set(before.endpoints) | set(after.endpoints))
    for label in [*labels, "all"]:
        old = before.overall if label == "all" else before.endpoints.get(label)
        new = after.overall if label == "all" else after.endpoints.get(label)
        if old is None or new is None:
            continue
        speedup = f"{old.p95_ms / new.p95_ms:.1f}x" if new.p95_ms else "-"
        table.add_row(label, f"{old.p95_ms:g}", f"{new.p95_ms:g}", speedup, f"{old.rps:g}",
                      f"{new.rps:g}", f"{old.mean_queries:g}", f"{new.mean_queries:g}",
                      end_section=label == labels[-1])
    return table
