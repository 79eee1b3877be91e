"""What a statement looks up, in a few words: its tables and the keys it is given.

    >>> from advisor.model import Catalog
    >>> describe("SELECT c.id, c.body FROM comments c WHERE $1 = c.workout_id", Catalog())
    'comments by workout_id'
    >>> describe("SELECT count(*) AS count_1 FROM (SELECT users.id FROM users JOIN followers "
    ...          "ON users.id = followers.follower_id WHERE followers.user_id = $1) AS anon_1", Catalog())
    'count of users join followers by followers.user_id'

A loop's statements are long ORM SELECT lists; what tells them apart is the table and the key.
Joined and nested statements name every table they read (from the query shape); a statement
sqlglot cannot read keeps its SQL, shortened.
"""

from __future__ import annotations

from sqlglot import exp

from advisor.analyze.parsing import Unparseable, parse
from advisor.analyze.shapes import extract_shape
from advisor.model import Catalog, QueryShape

KEY_OPS = ("=", "any", "in")
_VERBS = {"update": "update of ", "delete": "delete from ", "insert": "insert into "}


def describe(sql: str, catalog: Catalog) -> str:
    """``comments by workout_id``, ``count of followers by user_id``, ``update of products by id``."""
    shape = extract_shape(sql, catalog)
    if shape.parse_error or not shape.tables:
        text = " ".join(sql.split())
        return text if len(text) <= 80 else text[:79] + "…"
    what = " join ".join(dict.fromkeys(table_name(a.table) for a in shape.tables))
    keys = lookup_keys(shape)
    prefix = _VERBS.get(shape.kind) or aggregate(sql)
    return f"{prefix}{what}" + (f" by {', '.join(keys)}" if keys else "")


def lookup_keys(shape: QueryShape) -> list[str]:
    """The columns a statement is given values for (parameters), table-qualified in a join."""
    several = len({a.table for a in shape.tables}) > 1
    keys: list[str] = []
    for access in shape.tables:
        given = [p for p in access.predicates if p.value is None and not p.function]
        for p in [p for p in given if p.op in KEY_OPS] or given:
            name = f"{table_name(access.table)}.{p.column}" if several else p.column
            if name not in keys:
                keys.append(name)
    return keys


def table_name(qualname: str) -> str:
    return qualname.removeprefix("public.")


def aggregate(sql: str) -> str:
    """``count of `` when the statement returns only an aggregate (``SELECT count(*) ...``)."""
    try:
        tree = parse(sql)
    except Unparseable:
        return ""
    while isinstance(tree, exp.SetOperation):
        tree = tree.this
    if not isinstance(tree, exp.Select) or not tree.expressions:
        return ""
    functions = [p.unalias() for p in tree.expressions]
    if all(isinstance(f, exp.Exists) for f in functions):
        return "existence of "
    if not all(isinstance(f, exp.AggFunc) for f in functions):
        return ""
    names = {f.key for f in functions}
    return f"{names.pop()} of " if len(names) == 1 else "aggregates of "
