import pytest

from advisor.fingerprint import fingerprint, normalize

SAME = [
    ("SELECT * FROM users WHERE id = $1", "select *\n  from users where id = 42"),
    ("SELECT * FROM t WHERE id IN ($1, $2, $3)", "SELECT * FROM t WHERE id IN (7)"),
    ("SELECT * FROM t WHERE id IN ($1::BIGINT, $2::BIGINT)", "SELECT * FROM t WHERE id IN ($1::BIGINT)"),
    ("SELECT * FROM t WHERE name = 'x' -- a comment", "SELECT * FROM t WHERE name = $1;"),
    ("SELECT a FROM t WHERE x = ANY(ARRAY[1,2,3])", "SELECT a FROM t WHERE x = ANY(ARRAY[$1])"),
]
DIFFERENT = [
    ("SELECT * FROM users WHERE id = $1", "SELECT * FROM users WHERE email = $1"),
    ('SELECT * FROM "Users"', "SELECT * FROM users"),
    ("SELECT * FROM t ORDER BY a", "SELECT * FROM t ORDER BY a DESC"),
]


@pytest.mark.parametrize(("a", "b"), SAME)
def test_same_statement_same_fingerprint(a, b):
    assert fingerprint(a) == fingerprint(b), (normalize(a), normalize(b))


@pytest.mark.parametrize(("a", "b"), DIFFERENT)
def test_different_statements_differ(a, b):
    assert fingerprint(a) != fingerprint(b)


def test_untokenizable_text_still_fingerprints():
    text = "SELECT 'unterminated"
    assert fingerprint(text) == fingerprint(text)
    assert len(fingerprint(text)) == 16
