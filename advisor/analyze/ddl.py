"""A Catalog from DDL text: for rule examples, tests and offline TPC-H shapes.

    >>> c = catalog_from_ddl("CREATE TABLE users (id bigint PRIMARY KEY, email text NOT NULL UNIQUE);"
    ...                      "CREATE INDEX ix_users_lower ON users (lower(email));")
    >>> [(i.name, i.columns, i.constraint) for i in c.indexes]
    [('users_pkey', ['id'], 'users_pkey'), ('users_email_key', ['email'], 'users_email_key'), ('ix_users_lower', ['lower(email)'], None)]

Tables are in ``public`` unless qualified; a primary key or unique constraint gets the index
PostgreSQL would create for it (with PostgreSQL's default name). Sizes and statistics are left
for the caller (``rows=`` sets reltuples, n_live_tup and a size of 100 bytes a row).
"""

from __future__ import annotations

import sqlglot
from sqlglot import exp

from advisor.model import Catalog, Column, ForeignKey, Index, Table

ROW_BYTES = 100


def catalog_from_ddl(ddl: str, rows: dict[str, float] | None = None) -> Catalog:
    catalog = Catalog()
    for statement in sqlglot.parse(ddl, read="postgres"):
        if isinstance(statement, exp.Create) and statement.kind == "TABLE":
            _table(catalog, statement)
        elif isinstance(statement, exp.Create) and statement.kind == "INDEX":
            _index(catalog, statement)
        elif isinstance(statement, exp.Alter):
            for action in statement.args.get("actions") or []:
                for constraint in action.expressions if isinstance(action, exp.AddConstraint) else []:
                    _constraint(catalog, _qualname(statement.this), constraint)
    for qualname, count in (rows or {}).items():
        table = catalog.table(qualname if "." in qualname else f"public.{qualname}")
        if table:
            set_rows(table, count)
    return catalog


def set_rows(table: Table, count: float) -> None:
    table.reltuples = table.n_live_tup = count
    table.size_bytes = int(count * ROW_BYTES)
    table.relpages = max(1, table.size_bytes // 8192)


def _table(catalog: Catalog, create: exp.Create) -> None:
    schema = create.this
    qualname = _qualname(schema.this)
    table = Table(*qualname.split("."))
    catalog.tables.append(table)
    for item in schema.expressions:
        if isinstance(item, exp.ColumnDef):
            _column(catalog, table, item)
        elif isinstance(item, exp.Constraint):
            for constraint in item.expressions:
                _constraint(catalog, qualname, constraint, item.name)
        else:
            _constraint(catalog, qualname, item)


def _column(catalog: Catalog, table: Table, definition: exp.ColumnDef) -> None:
    name = definition.name
    kind = definition.args.get("kind")
    column = Column(name, kind.sql(dialect="postgres").lower() if kind else "text")
    table.columns.append(column)
    for constraint in definition.args.get("constraints") or []:
        kind = constraint.args.get("kind")
        if isinstance(kind, exp.NotNullColumnConstraint | exp.PrimaryKeyColumnConstraint):
            column.not_null = True
        if isinstance(kind, exp.PrimaryKeyColumnConstraint):
            _key_index(catalog, table.qualname, [name], primary=True)
        elif isinstance(kind, exp.UniqueColumnConstraint):
            _key_index(catalog, table.qualname, [name], primary=False)
        elif isinstance(kind, exp.Reference):
            _foreign_key(catalog, table.qualname, [name], kind, None)


def _constraint(catalog: Catalog, qualname: str, node: exp.Expression, name: str | None = None) -> None:
    columns = [e.name for e in node.expressions]
    if isinstance(node, exp.PrimaryKey):
        _key_index(catalog, qualname, columns, primary=True, name=name)
    elif isinstance(node, exp.UniqueColumnConstraint) or type(node).__name__ == "Unique":
        columns = [e.name for e in (node.this.expressions if isinstance(node.this, exp.Schema) else [])]
        _key_index(catalog, qualname, columns, primary=False, name=name)
    elif isinstance(node, exp.ForeignKey):
        _foreign_key(catalog, qualname, columns, node.args["reference"], name)


def _key_index(catalog: Catalog, qualname: str, columns: list[str], *, primary: bool,
               name: str | None = None) -> None:
    schema, table = qualname.split(".")
    name = name or (f"{table}_pkey" if primary else f"{table}_{'_'.join(columns)}_key")
    definition = (f"CREATE UNIQUE INDEX {name} ON {qualname} USING btree ({', '.join(columns)})")
    catalog.indexes.append(Index(schema, name, qualname, definition, columns=columns,
                                 is_unique=True, is_primary=primary, constraint=name))


def _foreign_key(catalog: Catalog, qualname: str, columns: list[str], reference: exp.Reference,
                 name: str | None) -> None:
    target = reference.this
    ref_table = _qualname(target.this if isinstance(target, exp.Schema) else target)
    ref_columns = [e.name for e in target.expressions] if isinstance(target, exp.Schema) else ["id"]
    name = name or f"{qualname.split('.')[1]}_{'_'.join(columns)}_fkey"
    catalog.foreign_keys.append(ForeignKey(name, qualname, columns, ref_table, ref_columns))


def _index(catalog: Catalog, create: exp.Create) -> None:
    index = create.this
    qualname = _qualname(index.args["table"])
    params = index.args.get("params")
    columns, include, method, where = [], [], "btree", None
    if params is not None:
        using = params.args.get("using")
        method = using.name.lower() if using is not None else "btree"
        for item in params.args.get("columns") or []:
            key = item.this if isinstance(item, exp.Ordered) else item
            text = key.sql(dialect="postgres", normalize_functions="lower")
            columns.append(text + (" DESC" if isinstance(item, exp.Ordered) and item.args.get("desc") else ""))
        include = [i.name for i in params.args.get("include") or []]
        if params.args.get("where") is not None:
            where = params.args["where"].this.sql(dialect="postgres")
    catalog.indexes.append(Index(qualname.split(".")[0], index.name, qualname,
                                 create.sql(dialect="postgres"), columns=columns, include=include,
                                 method=method, predicate=where, is_unique=bool(create.args.get("unique"))))


def _qualname(table: exp.Table) -> str:
    return f"{table.db or 'public'}.{table.name}".lower()
