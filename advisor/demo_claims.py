"""The demo's promises, checked against what validation measured in the same run.

    >>> endpoints = [{"endpoint": "login", "before": {"p95_ms": 90.0, "rps": 2.0},
    ...               "after": {"p95_ms": 10.0, "rps": 20.0}}]
    >>> eager = {"login": {"p95_ms": 6.0, "mean_queries": 1.0, "max_queries": 1}}
    >>> check = claims(endpoints, None, eager)
    >>> check["endpoints"][0]["gain_advice"], check["endpoints"][0]["met"]
    (15.0, True)

Three claims, each with its target as a named setting: every endpoint with a planted missing
index (``app_under_test/planted.py``) is ``P95_GAIN`` times faster at p95 once the advice is
applied (the indexes and the eager-loading fix; the indexes-only gain is kept next to it) at the
same offered load (validation's open-loop run; closed loop when there is none), the
whole workload serves ``THROUGHPUT_GAIN`` times the requests per second, and every N+1 endpoint
issues a constant number of queries per request with eager loading (at most the plant's
``eager_queries``, whatever N is).
"""

from __future__ import annotations

from advisor.validate import at_load, comparable_p95

P95_GAIN = 10.0
THROUGHPUT_GAIN = 3.0
RELIABLE_P95_SAMPLES = 100  # fewer requests than this, and a p95 is little more than the slowest few


def claims(endpoints: list[dict], overall: dict | None, eager: dict[str, dict]) -> dict:
    """The three claims from the validation rows (before / after indexes) and the eager run."""
    from app_under_test.planted import INDEX_KINDS, by_kind

    rows = {row["endpoint"]: row for row in endpoints}
    check = {
        "targets": {"p95_gain": P95_GAIN, "throughput_gain": THROUGHPUT_GAIN},
        "endpoints": [_latency(name, plants, rows[name], eager.get(name, {}))
                      for name, plants in _endpoints_of(by_kind(*INDEX_KINDS)).items() if name in rows],
        "throughput": _throughput(overall, eager.get("overall", {})) if overall else None,
        "n_plus_one": [_queries(plant, rows[plant.endpoints[0]], eager.get(plant.endpoints[0], {}))
                       for plant in by_kind("n_plus_one") if plant.endpoints[0] in rows],
    }
    parts = [*check["endpoints"], *check["n_plus_one"], *filter(None, [check["throughput"]])]
    check.update(met=sum(part["met"] for part in parts), total=len(parts))
    check["all_met"] = check["total"] > 0 and check["met"] == check["total"]
    return check


def _latency(name: str, plants: list[str], row: dict, eager: dict) -> dict:
    before, after, advice = (comparable_p95(figures) for figures in (row["before"], row["after"], eager))
    gain_advice = _gain(before, advice)
    return {"endpoint": name, "planted": plants, "p95_before": before, "p95_indexes": after,
            "p95_advice": advice, "gain_indexes": _gain(before, after), "gain_advice": gain_advice,
            "met": gain_advice is not None and gain_advice >= P95_GAIN,
            # where a request's time goes once advised: in its statements, or in the app
            "sql_ms_before": at_load(row["before"], "mean_sql_ms"),
            "sql_ms_advice": at_load(eager, "mean_sql_ms"), "mean_ms_advice": at_load(eager, "mean_ms"),
            # how many requests each p95 is taken over: ~30 for a 4 % endpoint, so nearly its max
            "samples_before": at_load(row["before"], "requests"),
            "samples_advice": at_load(eager, "requests")}


def _throughput(overall: dict, eager: dict) -> dict:
    before, after, advice = overall["before"].get("rps"), overall["after"].get("rps"), eager.get("rps")
    gain = _gain(advice, before)
    return {"rps_before": before, "rps_indexes": after, "rps_advice": advice,
            "gain_indexes": _gain(after, before), "gain_advice": gain,
            "met": gain is not None and gain >= THROUGHPUT_GAIN}


def _queries(plant, row: dict, eager: dict) -> dict:
    lazy = row["after"]
    return {"endpoint": plant.endpoints[0], "planted": plant.id,
            "lazy_mean": lazy.get("mean_queries"), "lazy_max": lazy.get("max_queries"),
            "eager_mean": eager.get("mean_queries"), "eager_max": eager.get("max_queries"),
            "bound": plant.eager_queries,
            "met": eager.get("max_queries") is not None and eager["max_queries"] <= plant.eager_queries
            < (lazy.get("max_queries") or 0)}


def _gain(slow: float | None, fast: float | None) -> float | None:
    return round(slow / fast, 1) if slow and fast else None


def _endpoints_of(plants: list) -> dict[str, list[str]]:
    """Endpoint -> the ids of the plants that show there."""
    found: dict[str, list[str]] = {}
    for plant in plants:
        for endpoint in plant.endpoints:
            found.setdefault(endpoint, []).append(plant.id)
    return dict(sorted(found.items()))
