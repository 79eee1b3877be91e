"""The Python lines of an advisor revision: ``op.create_index`` / ``op.drop_index`` calls.

    >>> from advisor.model import IndexSpec, Recommendation
    >>> rec = Recommendation(action="create", table="public.order", name="order_customer_id_idx",
    ...                      ddl="", index=IndexSpec(table="public.order", columns=["customer_id"]))
    >>> print("\\n".join(create_index_call(rec)))
    if _build_needed('public', 'order_customer_id_idx', 'order', ['customer_id']):
        op.create_index(
            'order_customer_id_idx',
            'order',
            ['customer_id'],
            schema='public',
            postgresql_concurrently=True,
        )

Like Alembic's autogenerate renderers, each function returns code as text; every literal is
``repr()``'d, so any identifier (quotes, unicode, reserved words) is safe, and SQLAlchemy quotes
it in the DDL. Key columns that are expressions, or carry DESC / NULLS, become ``sa.text()``.
Every build is guarded by the revision's ``_build_needed``, never by IF NOT EXISTS (which would
keep whatever else holds the name). An index on a partitioned table is built the online way:
``ON ONLY`` the parent, ``CONCURRENTLY`` on each partition, each attached to its parent's.
"""

from __future__ import annotations

import re
from dataclasses import replace

from advisor.errors import AdvisorError
from advisor.model import IndexSpec, Recommendation

_ORDER_SUFFIX = re.compile(r"\s+((?:ASC|DESC)(?:\s+NULLS\s+(?:FIRST|LAST))?|NULLS\s+(?:FIRST|LAST))\s*$",
                           re.IGNORECASE)
_QUOTED = re.compile(r'^"((?:[^"]|"")+)"$')
# SQLAlchemy's text() reads ":name" as a bind parameter; a backslash keeps the colon literal.
_BIND_LIKE = re.compile(r"(?<![:\w\\]):(?=\w)(?!:)")
_CREATE_INDEX = re.compile(r"^\s*CREATE\s+(UNIQUE\s+)?INDEX\s+(?!CONCURRENTLY)", re.IGNORECASE)
INDENT = "    "


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
    """The guarded build of ``rec``'s index (on a partitioned table: every step of it)."""
    spec: IndexSpec | None = rec.index
    if spec is None:
        raise AdvisorError(f"recommendation to create {rec.name} has no index definition")
    if rec.partitions:
        return [indent + line for line in _partitioned_build(rec, spec)]
    return [indent + line for line in _guarded(spec, spec.table or rec.table, rec.name)]


def _guarded(spec: IndexSpec, table_qualname: str, name: str) -> list[str]:
    return [guard(table_qualname, name, [plain_key(k) for k in spec.columns], spec.method,
                  bool(spec.where), spec.unique),
            *(INDENT + line for line in _op_create_index(spec, table_qualname, name))]


def guard(table_qualname: str, name: str, keys: list[str | None] | None, method: str | None = "btree",
          partial: bool = False, unique: bool = False) -> str:
    """``if _build_needed(...):``, the revision's check before it builds ``name``: what it builds,
    so that an index of another shape holding the name stops the migration."""
    schema, table = split_table(table_qualname)
    shape = "".join([f", method={method.lower()!r}" if method and method.lower() != "btree" else "",
                     ", partial=True" if partial else "", ", unique=True" if unique else ""])
    return f"if _build_needed({schema!r}, {name!r}, {table!r}, {keys!r}{shape}):"


def _op_create_index(spec: IndexSpec, table_qualname: str, name: str) -> list[str]:
    schema, table = split_table(table_qualname)
    items, ops = [], {}
    for key in spec.columns:
        code, column = _key_item(key, spec.opclass if not _plain_with_ops(key) else None)
        items.append(code)
        if column is not None and spec.opclass:
            ops[column] = spec.opclass
    lines = ["op.create_index(", f"    {name!r},", f"    {table!r},", f"    [{', '.join(items)}],"]
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
    return lines + ["    postgresql_concurrently=True,", ")"]


def _partitioned_build(rec: Recommendation, spec: IndexSpec) -> list[str]:
    """ON ONLY the parent (no data: instant), then each partition's index built concurrently and
    attached; the parent's index turns valid when the last one is attached."""
    from advisor.ddl import attach_index_sql, beside

    schema, _ = split_table(rec.table)
    lines = [f"# {rec.table} is partitioned: CREATE INDEX CONCURRENTLY cannot run on it. The index",
             "# is made ON ONLY it, built concurrently on each partition, and attached.",
             *_on_only(spec, rec.table, rec.name)]
    for step in rec.partitions:
        child = replace(spec, table=step.table)
        lines += (_on_only if step.only else _guarded)(child, step.table, step.name)
        lines.append(f"op.execute({text_call(attach_index_sql(step.attach_to, beside(step.table, step.name)))})")
    lines.append(f"_require_valid({schema!r}, {rec.name!r})")
    return lines


def _on_only(spec: IndexSpec, table_qualname: str, name: str) -> list[str]:
    """The index of a partitioned table itself, without its partitions' (they are attached)."""
    from advisor.ddl import create_index_sql

    sql = create_index_sql(spec, name, concurrently=False, if_not_exists=False, only=True)
    return [guard(table_qualname, name, [plain_key(k) for k in spec.columns], spec.method,
                  bool(spec.where), spec.unique),
            f"{INDENT}op.execute({text_call(sql)})"]


def plain_key(key: str) -> str | None:
    """The column name of a plain key (``created_at DESC`` -> ``created_at``); None for an expression.

    >>> plain_key('"Weird Col" DESC'), plain_key("lower(email)")
    ('Weird Col', None)
    """
    match = _ORDER_SUFFIX.search(key)
    base = (key[:match.start()] if match else key).strip()
    if is_expression(base):
        return None
    quoted = _QUOTED.match(base)
    return quoted.group(1).replace('""', '"') if quoted else base


def _plain_with_ops(key: str) -> bool:
    """A plain column without DESC/NULLS: its opclass goes to postgresql_ops, not into text()."""
    return not is_expression(key) and not _ORDER_SUFFIX.search(key)


def drop_index_call(schema: str | None, name: str, indent: str = "", *,
                    partitioned: bool = False) -> str:
    """DROP INDEX CONCURRENTLY; an index on a partitioned table cannot be dropped concurrently, and
    dropping it drops its partitions' indexes with it."""
    schema_arg = f", schema={schema!r}" if schema else ""
    how = "" if partitioned else ", postgresql_concurrently=True"
    return f"{indent}op.drop_index({name!r}{schema_arg}{how}, if_exists=True)"


def concurrent_definition(definition: str) -> str:
    """pg_get_indexdef text -> the same build, CONCURRENTLY.

    >>> concurrent_definition('CREATE INDEX i ON public.t USING btree (a)')
    'CREATE INDEX CONCURRENTLY i ON public.t USING btree (a)'
    """
    if not _CREATE_INDEX.match(definition):
        raise AdvisorError(f"not an index definition: {definition[:80]!r}")
    return _CREATE_INDEX.sub(lambda m: f"CREATE {m.group(1) or ''}INDEX CONCURRENTLY ", definition, count=1)
