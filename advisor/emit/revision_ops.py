"""The Python lines of an advisor revision: ``op.create_index`` / ``op.drop_index`` calls.

    >>> from advisor.model import IndexSpec, Recommendation
    >>> rec = Recommendation(action="create", table="public.order", name="order_customer_id_idx",
    ...                      ddl="", index=IndexSpec(table="public.order", columns=["customer_id"]))
    >>> print("\\n".join(create_index_call(rec)))
    op.create_index(
        'order_customer_id_idx',
        'order',
        ['customer_id'],
        schema='public',
        postgresql_concurrently=True,
        if_not_exists=True,
    )

Like Alembic's autogenerate renderers, each function returns code as text; every literal is
``repr()``'d, so any identifier (quotes, unicode, reserved words) is safe, and SQLAlchemy quotes
it in the DDL. Key columns that are expressions, or carry DESC / NULLS, become ``sa.text()``.
"""

from __future__ import annotations

import re

from advisor.errors import AdvisorError
from advisor.model import IndexSpec, Recommendation

_ORDER_SUFFIX = re.compile(r"\s+((?:ASC|DESC)(?:\s+NULLS\s+(?:FIRST|LAST))?|NULLS\s+(?:FIRST|LAST))\s*$",
                           re.IGNORECASE)
_QUOTED = re.compile(r'^"((?:[^"]|"")+)"$')
# SQLAlchemy's text() reads ":name" as a bind parameter; a backslash keeps the colon literal.
_BIND_LIKE = re.compile(r"(?<![:\w\\]):(?=\w)(?!:)")
_CREATE_INDEX = re.compile(r"^\s*CREATE\s+(UNIQUE\s+)?INDEX\s+(?!CONCURRENTLY)", re.IGNORECASE)


def split_table(qualname: str) -> tuple[str | None, str]:
    """``schema.table`` -> (schema, table); the schema is whatever stands before the first dot."""
    schema, dot, name = qualname.partition(".")
    return (schema, name) if dot else (None, qualname)


def is_expression(key: str) -> bool:
    return "(" in key or "::" in key


def text_call(sql: str) -> str:
    """``sa.text('...')`` for raw SQL, colons that would read as bind parameters escaped."""
    return f"sa.text({_BIND_LIKE.sub(lambda m: chr(92) + m.group(0), sql)!r})"


def _key_item(key: str, opclass: str | None) -> tuple[str, str | None]:
    """(code for one key column, the plain column name when it is one)."""
    match = _ORDER_SUFFIX.search(key)
    base, order = (key[:match.start()], match.group(1).upper()) if match else (key, None)
    base = base.strip()
    if is_expression(base):
        sql = base if base.startswith("(") and base.endswith(")") else f"({base})"
    else:
        quoted = _QUOTED.match(base)
        column = quoted.group(1).replace('""', '"') if quoted else base
        if not order:
            return repr(column), column
        from advisor.ddl import quote_ident

        sql = quote_ident(column)
    parts = [sql, opclass if opclass else None, order]
    return text_call(" ".join(p for p in parts if p)), None


def create_index_call(rec: Recommendation, indent: str = "") -> list[str]:
    spec: IndexSpec | None = rec.index
    if spec is None:
        raise AdvisorError(f"recommendation to create {rec.name} has no index definition")
    schema, table = split_table(spec.table or rec.table)
    items, ops = [], {}
    for key in spec.columns:
        code, column = _key_item(key, spec.opclass if not _plain_with_ops(key) else None)
        items.append(code)
        if column is not None and spec.opclass:
            ops[column] = spec.opclass
    lines = ["op.create_index(", f"    {rec.name!r},", f"    {table!r},", f"    [{', '.join(items)}],"]
    if schema:
        lines.append(f"    schema={schema!r},")
    if spec.unique:
        lines.append("    unique=True,")
    if spec.method and spec.method.lower() != "btree":
        lines.append(f"    postgresql_using={spec.method.lower()!r},")
    if ops:
        lines.append(f"    postgresql_ops={ops!r},")
    if spec.include:
        lines.append(f"    postgresql_include={list(spec.include)!r},")
    if spec.where:
        lines.append(f"    postgresql_where={text_call(spec.where)},")
    lines += ["    postgresql_concurrently=True,", "    if_not_exists=True,", ")"]
    return [indent + line for line in lines]


def _plain_with_ops(key: str) -> bool:
    """A plain column without DESC/NULLS: its opclass goes to postgresql_ops, not into text()."""
    return not is_expression(key) and not _ORDER_SUFFIX.search(key)


def drop_index_call(schema: str | None, name: str, indent: str = "") -> str:
    schema_arg = f", schema={schema!r}" if schema else ""
    return f"{indent}op.drop_index({name!r}{schema_arg}, postgresql_concurrently=True, if_exists=True)"


def concurrent_definition(definition: str) -> str:
    """pg_get_indexdef text -> the same build, CONCURRENTLY and IF NOT EXISTS.

    >>> concurrent_definition('CREATE INDEX i ON public.t USING btree (a)')
    'CREATE INDEX CONCURRENTLY IF NOT EXISTS i ON public.t USING btree (a)'
    """
    if not _CREATE_INDEX.match(definition):
        raise AdvisorError(f"not an index definition: {definition[:80]!r}")
    return _CREATE_INDEX.sub(lambda m: f"CREATE {m.group(1) or ''}INDEX CONCURRENTLY IF NOT EXISTS ",
                             definition, count=1)
