from advisor.capture.filters import is_utility, is_workload, parameterize
from advisor.fingerprint import fingerprint


def test_parameterize_matches_pg_stat_statements_shape():
    text, values = parameterize("select * from t where a in (1, 2) and b = $1 and c = 'x'")
    assert text == "select * from t where a in ($2, $3) and b = $1 and c = $4"
    assert values == ["1", "2", "x"]
    assert fingerprint(text) == fingerprint("select * from t where a in ($1) and b = $2 and c = $3")


def test_workload_filter():
    assert is_utility("BEGIN") and is_utility("SET x = 1") and is_utility("EXPLAIN SELECT 1")
    assert not is_utility("WITH x AS (SELECT 1) SELECT * FROM x")
    assert is_workload("UPDATE t SET a = $1")
    assert not is_workload("SELECT * FROM pg_stat_statements")
    assert not is_workload("SELECT relname FROM pg_class")
    assert not is_workload("select * from hypopg_create_index($1)")
