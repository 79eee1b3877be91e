"""Index names and the DDL that creates and drops them.

    >>> from advisor.model import IndexSpec
    >>> spec = IndexSpec("public.orders", ["customer_id", "created_at DESC"])
    >>> index_name(spec)
    'ix_orders_customer_id_created_at'
    >>> create_index_sql(spec, index_name(spec))
    'CREATE INDEX CONCURRENTLY IF NOT EXISTS ix_orders_customer_id_created_at ON public.orders (customer_id, created_at DESC)'
    >>> qualified("public.order")
    'public."order"'

Identifiers are quoted only when PostgreSQL needs it (upper case, spaces, quotes, reserved words),
the way ``quote_ident()`` does; key expressions such as ``lower(email)`` are kept as SQL text.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import replace

from advisor.model import IndexSpec, PartitionIndex

MAX_IDENTIFIER_BYTES = 63
_SIMPLE = re.compile(r"^[a-z_][a-z0-9_$]*$")
# Keywords quote_ident() quotes: PostgreSQL 15 reserved, type/function-name and column-name ones.
_KEYWORDS = frozenset("""
all analyse analyze and any array as asc asymmetric authorization between bigint binary bit
boolean both case cast char character check coalesce collate collation column concurrently
constraint create cross current_catalog current_date current_role current_schema current_time
current_timestamp current_user dec decimal default deferrable desc distinct do else end except
exists extract false fetch float for foreign freeze from full grant greatest group grouping
having ilike in initially inner inout int integer intersect interval into is isnull join
lateral leading least left like limit localtime localtimestamp national natural nchar none
normalize not notnull null nullif numeric offset on only or order out outer overlaps overlay
placing position precision primary real references returning right row select session_user
setof similar smallint some substring symmetric system_user table tablesample then time
timestamp to trailing treat trim true union unique user using values varchar variadic verbose
when where window with xmlattributes xmlconcat xmlelement xmlexists xmlforest xmlnamespaces
xmlparse xmlpi xmlroot xmlserialize xmltable
""".split())


def quote_ident(name: str) -> str:
    '''``name`` as an SQL identifier, quoted only when needed.

    >>> quote_ident("users"), quote_ident("order"), quote_ident('Weird "Name"')
    ('users', '"order"', '"Weird ""Name"""')
    '''
    if _SIMPLE.match(name) and name not in _KEYWORDS:
        return name
    return '"' + name.replace('"', '""') + '"'


def qualified(table_qualname: str) -> str:
    '''``schema.table`` with each part quoted as needed.

    >>> qualified('public.Weird "Name"')
    'public."Weird ""Name"""'
    '''
    parts = table_qualname.split(".", 1)  # raw names, as Table.qualname builds them
    return ".".join(quote_ident(p) for p in parts)


def _table_name(qualname: str) -> str:
    return qualname.split(".", 1)[-1]


def _name_part(column: str) -> str:
    """A column or expression as part of an index name: ``lower(email) DESC`` -> ``lower_email``."""
    text = re.sub(r"\s+(ASC|DESC)(\s+NULLS\s+(FIRST|LAST))?$", "", column.strip(), flags=re.I)
    text = re.sub(r"\W+", "_", text.lower(), flags=re.UNICODE)
    return text.strip("_") or "expr"


def _truncate(name: str, seed: str) -> str:
    if len(name.encode()) <= MAX_IDENTIFIER_BYTES:
        return name
    suffix = "_" + hashlib.sha1(seed.encode()).hexdigest()[:8]
    room = MAX_IDENTIFIER_BYTES - len(suffix)
    head = name.encode()[:room].decode(errors="ignore").rstrip("_")
    return head + suffix


def with_suffix(name: str, suffix: str) -> str:
    """``name`` + ``suffix``, ``name`` cut so the whole fits in 63 bytes.

    >>> len(with_suffix("x" * 63, "_2").encode()), with_suffix("ix_a", "_2")
    (63, 'ix_a_2')
    """
    room = MAX_IDENTIFIER_BYTES - len(suffix.encode())
    return name.encode()[:room].decode(errors="ignore") + suffix


def index_name(spec: IndexSpec) -> str:
    """``ix_<table>_<cols>`` [``_partial``/``_trgm``], at most 63 bytes, the same for the same spec.

    A long name is cut and given a hash of the whole spec, so two specs never share a name.

    >>> index_name(IndexSpec("public.users", ["lower(email)"], where="deleted_at IS NULL"))
    'ix_users_lower_email_partial'
    >>> len(index_name(IndexSpec("s.t", ["c" * 40, "d" * 40]))) <= 63
    True
    """
    parts = ["ix", _name_part(_table_name(spec.table))] + [_name_part(c) for c in spec.columns]
    if spec.where:
        parts.append("partial")
    if spec.opclass and "trgm" in spec.opclass:
        parts.append("trgm")
    elif spec.opclass and "pattern" in spec.opclass:
        parts.append("pattern")
    elif spec.method == "gin":
        parts.append("gin")
    return _truncate("_".join(parts), repr(spec.key()))


def _key_sql(column: str, opclass: str | None) -> str:
    """One key of CREATE INDEX: a quoted column or an expression (a bare call, else in parens)."""
    text = column.strip()
    order = re.search(r"\s+(ASC|DESC)(\s+NULLS\s+(FIRST|LAST))?$", text, re.I)
    suffix = " " + " ".join(order.group(0).upper().split()) if order else ""
    text = text[:order.start()] if order else text
    if text.startswith('"') and text.endswith('"') or re.match(r"^\w+\(.*\)$", text) or (
            text.startswith("(") and text.endswith(")")):
        key = text
    elif not re.search(r"[()+\-*/|:'<>=,]", text):  # a column name, however spelled
        key = quote_ident(text)
    else:
        key = f"({text})"
    return key + (f" {opclass}" if opclass else "") + suffix


def create_index_sql(spec: IndexSpec, name: str, *, concurrently: bool = True,
                     if_not_exists: bool = True, only: bool = False) -> str:
    """The CREATE INDEX statement for ``spec`` named ``name`` (``only``: ON ONLY a partitioned table)."""
    words = ["CREATE", "UNIQUE INDEX" if spec.unique else "INDEX"]
    if concurrently:
        words.append("CONCURRENTLY")
    if if_not_exists:
        words.append("IF NOT EXISTS")
    words += [quote_ident(name), "ON"] + (["ONLY"] if only else []) + [qualified(spec.table)]
    if spec.method and spec.method != "btree":
        words += ["USING", spec.method]
    words.append("(" + ", ".join(_key_sql(c, spec.opclass) for c in spec.columns) + ")")
    if spec.include:
        words.append("INCLUDE (" + ", ".join(quote_ident(c) for c in spec.include) + ")")
    if spec.where:
        words.append(f"WHERE {spec.where}")
    return " ".join(words)


def beside(table_qualname: str, name: str) -> str:
    """The qualname of index ``name`` on ``table_qualname``: an index lives in its table's schema.

    >>> beside("archive.events_2023", "ix_events_2023_at")
    'archive.ix_events_2023_at'
    """
    schema = table_qualname.split(".", 1)[0] if "." in table_qualname else None
    return f"{schema}.{name}" if schema else name


def attach_index_sql(parent_index: str, child_index: str) -> str:
    """Attach a partition's index to its parent's index (both ``schema.name``).

    >>> attach_index_sql("public.ix_events_at", "archive.ix_events_2024_at")
    'ALTER INDEX public.ix_events_at ATTACH PARTITION archive.ix_events_2024_at'
    """
    return f"ALTER INDEX {qualified(parent_index)} ATTACH PARTITION {qualified(child_index)}"


def build_index_sql(spec: IndexSpec, name: str, partitions: list[PartitionIndex] = ()) -> str:
    """The statements that build ``spec`` online, to run by hand (outside a transaction).

    A plain table: one ``CREATE INDEX CONCURRENTLY``. A partitioned table, which cannot take
    one: ``CREATE INDEX ... ON ONLY`` it (no data, instant), then per partition a concurrent
    build (``ON ONLY`` for a partitioned partition) and ``ALTER INDEX ... ATTACH PARTITION``.

    >>> from advisor.model import PartitionIndex
    >>> print(build_index_sql(IndexSpec("public.events", ["at"]), "ix_events_at",
    ...       [PartitionIndex("public.events_2024", "ix_events_2024_at", "public.ix_events_at")]))
    CREATE INDEX ix_events_at ON ONLY public.events (at);
    CREATE INDEX CONCURRENTLY ix_events_2024_at ON public.events_2024 (at);
    ALTER INDEX public.ix_events_at ATTACH PARTITION public.ix_events_2024_at
    """
    if not partitions:
        return create_index_sql(spec, name, if_not_exists=False)
    steps = [create_index_sql(spec, name, concurrently=False, if_not_exists=False, only=True)]
    for step in partitions:
        child = replace(spec, table=step.table)
        steps.append(create_index_sql(child, step.name, concurrently=not step.only, if_not_exists=False,
                                      only=step.only))
        steps.append(attach_index_sql(step.attach_to, beside(step.table, step.name)))
    return ";\n".join(steps)


def drop_index_sql(qualname: str, *, concurrently: bool = True, if_exists: bool = True) -> str:
    """The DROP INDEX statement for an existing index ``schema.name``.

    >>> drop_index_sql("public.ix_old")
    'DROP INDEX CONCURRENTLY IF EXISTS public.ix_old'
    """
    words = ["DROP INDEX"]
    if concurrently:
        words.append("CONCURRENTLY")
    if if_exists:
        words.append("IF EXISTS")
    words.append(qualified(qualname))
    return " ".join(words)
