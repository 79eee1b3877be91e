from advisor.model import Trace, TraceEvent
from advisor.recommend.samples import bind, typical_parameters

SQL = "SELECT * FROM orders WHERE status = $1::VARCHAR ORDER BY created_at LIMIT $2"


def test_most_frequent_values_win():
    events = [TraceEvent(SQL, params=["pending", "50"]), TraceEvent(SQL, params=["pending", "50"]),
              TraceEvent(SQL, params=["paid", "50"])]
    typical = typical_parameters([Trace(id="1", source="app", events=events)])
    assert typical[events[0].fingerprint] == ["pending", "50"]


def test_bind_quotes_and_keeps_casts():
    assert bind(SQL, ["o'brien", None]) == (
        "SELECT * FROM orders WHERE status = 'o''brien'::VARCHAR ORDER BY created_at LIMIT NULL")


def test_bind_refuses_missing_values():
    assert bind(SQL, ["pending"]) is None


def test_two_digit_parameters_are_not_confused():
    params = [str(i) for i in range(1, 12)]
    assert bind("SELECT $1, $11", params) == "SELECT '1', '11'"
