"""Query shapes: how each statement uses each table, read from its SQL with sqlglot.

    >>> from advisor.model import Catalog, Column, Table
    >>> users = Table("public", "users", columns=[Column("id", "bigint"), Column("email", "text")])
    >>> shape = extract_shape("SELECT id FROM users u WHERE lower(u.email) = $1 LIMIT 1", Catalog([users]))
    >>> describe_shape(shape)
    'select | public.users u: where lower(email) = ? [fn lower] | limit 1'

Every column is tied to the table it comes from, through aliases, joins, CTEs, derived tables,
LATERAL and correlated subqueries, with a light walk over sqlglot's scopes (the full optimizer is
too slow for thousands of statements). A column that cannot be tied to one table is left out
rather than guessed. A statement that does not parse gets ``parse_error``; it never stops a run.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

from sqlglot import exp
from sqlglot.optimizer.scope import Scope, traverse_scope

from advisor.analyze.catalog_index import CatalogIndex
from advisor.analyze.parsing import POSTGRES, Unparseable, kind_of, parse
from advisor.fingerprint import fingerprint as fingerprint_of
from advisor.model import Catalog, OrderItem, Predicate, QueryShape, Snapshot, TableAccess

_COMPARISONS = {exp.EQ: "=", exp.NEQ: "<>", exp.LT: "<", exp.GT: ">", exp.LTE: "<=", exp.GTE: ">="}
_FLIPPED = {"=": "=", "<>": "<>", "<": ">", ">": "<", "<=": ">=", ">=": "<="}
_CONTAINMENT = {exp.ArrayContainsAll: "@>", exp.ArrayContainedBy: "<@", exp.ArrayOverlaps: "&&",
                exp.JSONBContains: "?", exp.JSONBContainsTopKey: "?", exp.JSONBContainsAnyTopKeys: "?|",
                exp.JSONBContainsAllTopKeys: "?&", exp.JSONBPathExists: "@?"}
_BRANCH_OPS = ("=", "in", "any", "is null", "<", ">", "<=", ">=", "between")  # a btree serves these
_NESTED = (exp.Subquery, exp.Select, exp.Union, exp.Exists)
_LEAVES = (exp.Literal, exp.Boolean, exp.Null)  # the generator edits some trees, never these: no copy
_cache: dict[tuple[str, str, int], QueryShape] = {}
_CACHE_LIMIT = 50_000


def extract_shape(sql: str, catalog: Catalog, fingerprint: str = "") -> QueryShape:
    """The shape of one statement, its columns tied to the tables of ``catalog``."""
    return _shape(sql, fingerprint or fingerprint_of(sql), CatalogIndex.of(catalog))


def extract_shapes(snapshot: Snapshot) -> list[QueryShape]:
    """One shape per distinct statement of the snapshot (cached per fingerprint), with what its
    plan adds: the base tables under views and CTEs (``advisor.analyze.plan_accesses``)."""
    from advisor.analyze.plan_accesses import with_plan_accesses

    index = CatalogIndex.of(snapshot.catalog)
    seen: dict[str, QueryShape] = {}
    for statement in snapshot.statements:
        if statement.fingerprint not in seen:
            shape = _shape(statement.query, statement.fingerprint, index)
            seen[statement.fingerprint] = with_plan_accesses(shape, statement.plan, snapshot.catalog)
    return list(seen.values())


def _shape(sql: str, fingerprint: str, index: CatalogIndex) -> QueryShape:
    key = (fingerprint, sql, index.signature)  # one fingerprint may carry different literals
    cached = _cache.get(key)
    if cached is None:
        if len(_cache) > _CACHE_LIMIT:
            _cache.clear()
        cached = _cache[key] = _extract(sql, fingerprint, index)
    return cached


def _extract(sql: str, fingerprint: str, index: CatalogIndex) -> QueryShape:
    try:
        tree = parse(sql)
    except Unparseable as exc:
        return QueryShape(fingerprint=fingerprint, kind="other", parse_error=str(exc))
    except RecursionError:
        return QueryShape(fingerprint=fingerprint, kind="other", parse_error="statement nested too deeply")
    shape = QueryShape(fingerprint=fingerprint, kind=kind_of(tree))
    if shape.kind in ("utility", "other"):
        return shape
    try:
        walk = _Walk(index, _units(sql), ctes=_WITH.search(sql) is not None)
        walk.statement(tree)
    except RecursionError:
        shape.parse_error = "statement nested too deeply"
        return shape
    except Unparseable as exc:
        shape.parse_error = str(exc)
        return shape
    except Exception as exc:  # a tree sqlglot built but this walk cannot read: unparsed, not a crash
        shape.parse_error = f"cannot read its shape ({type(exc).__name__}: {str(exc)[:120]})"
        return shape
    shape.tables = walk.result()
    _limits(shape, tree)
    return shape


def _limits(shape: QueryShape, tree: exp.Expression) -> None:
    limit = tree.args.get("limit")
    if isinstance(limit, exp.Limit | exp.Fetch):
        shape.has_limit = True
        shape.limit = _int(limit.args.get("expression") or limit.args.get("count"))
    offset = tree.args.get("offset")
    if isinstance(offset, exp.Offset):
        shape.offset = _int(offset.args.get("expression"))


def _int(node: exp.Expression | None) -> int | None:
    if isinstance(node, exp.Literal) and not node.is_string:
        try:
            return int(node.this)
        except ValueError:
            return None
    return None


class _Walk:
    """Collects the table accesses of one statement, scope by scope."""

    def __init__(self, index: CatalogIndex, units: dict[str, str] | None = None, ctes: bool = True):
        self.index = index
        self.units = units or {}
        self.ctes = ctes  # False when the text has no WITH: no tree search for CTEs
        self.accesses: dict[int, TableAccess] = {}
        self.virtual: set[str] = set()  # names of data-modifying CTEs: not tables

    def result(self) -> list[TableAccess]:
        return list(self.accesses.values())

    # -- statements ------------------------------------------------------------------------

    def statement(self, tree: exp.Expression) -> None:
        for cte in list(tree.find_all(exp.CTE)) if self.ctes else []:
            if isinstance(cte.this, exp.DML):  # WITH moved AS (DELETE ... RETURNING ...): its own shape
                self.virtual.add(cte.alias_or_name)
                self.statement(cte.this)
        if isinstance(tree, exp.Insert):
            self._insert(tree)
        elif isinstance(tree, exp.Update | exp.Delete):
            self._scopes(_as_select(tree))
        else:
            self._scopes(tree)

    def _insert(self, tree: exp.Insert) -> None:
        target = tree.this
        columns = target.expressions if isinstance(target, exp.Schema) else []
        table = target.this if isinstance(target, exp.Schema) else target
        if isinstance(table, exp.Table) and table.name not in self.virtual:
            access = self._access(table)
            _extend(access.columns_used, [_name(c) for c in columns if isinstance(c, exp.Identifier)])
        if isinstance(tree.expression, exp.Query):
            self._scopes(tree)

    def _scopes(self, tree: exp.Expression) -> None:
        for scope in traverse_scope(tree):
            if isinstance(scope.expression, exp.Select):
                self._select(scope)

    # -- one SELECT scope ------------------------------------------------------------------

    def _select(self, scope: Scope) -> None:
        select = scope.expression
        for _alias, (_node, source) in scope.selected_sources.items():
            if isinstance(source, exp.Table) and source.name not in self.virtual:
                self._access(source)
        for column in scope.columns:
            found = self._resolve(column, scope)
            if found:
                _add(found[0].columns_used, found[1])
        self._stars(scope)
        for condition in self._conditions(scope):
            self._condition(condition, scope)
        group = select.args.get("group")
        for item in group.expressions if group else []:
            target = self._target(self._output(item, select), scope)
            if target and not target[2]:
                _add(target[0].group_by, target[1])
        order = select.args.get("order")
        for item in order.expressions if order else []:
            self._order_item(item, scope)

    def _conditions(self, scope: Scope) -> Iterable[exp.Expression]:
        select = scope.expression
        where = select.args.get("where")
        if where:
            yield from _conjuncts(where.this)
        for join in select.args.get("joins") or []:
            on = join.args.get("on")
            if on:
                yield from _conjuncts(on)
            for ident in join.args.get("using") or []:
                self._using(_name(ident), join, scope)

    def _stars(self, scope: Scope) -> None:
        for projection in scope.expression.expressions:
            if isinstance(projection, exp.Star):
                sources = scope.selected_sources.values()
                tables = [source for _node, source in sources if isinstance(source, exp.Table)]
            elif isinstance(projection, exp.Column) and isinstance(projection.this, exp.Star):
                found = scope.selected_sources.get(projection.table)
                tables = [found[1]] if found and isinstance(found[1], exp.Table) else []
            else:
                continue
            for table in tables:
                if table.name in self.virtual:
                    continue
                access = self._access(table)
                _extend(access.columns_used, self.index.columns(access.table))

    def _using(self, column: str, join: exp.Join, scope: Scope) -> None:
        for _alias, (_node, source) in scope.selected_sources.items():
            if isinstance(source, exp.Table):
                access = self._access(source)
                if source is join.this or self.index.has_column(access.table, column):
                    _add(access.join_columns, column)

    def _order_item(self, item: exp.Expression, scope: Scope) -> None:
        if not isinstance(item, exp.Ordered):
            return
        target = self._target(self._output(item.this, scope.expression), scope)
        if not target:
            return
        desc = bool(item.args.get("desc"))
        nulls_first = bool(item.args.get("nulls_first"))
        explicit = nulls_first if nulls_first != desc else None  # PostgreSQL's default otherwise
        access, column = target[0], target[1]
        if all(o.column != column for o in access.order_by):
            access.order_by.append(OrderItem(column=column, desc=desc, nulls_first=explicit))

    # -- conditions ------------------------------------------------------------------------

    def _condition(self, node: exp.Expression, scope: Scope) -> None:
        if isinstance(node, exp.Not):
            return self._negated(node.this, scope)
        if node.args.get("negate"):  # NOT LIKE, NOT IN, IS NOT: only IS NOT NULL can use an index
            return self._negated(node, scope)
        kind = type(node)
        if kind in _COMPARISONS:
            return self._comparison(node, _COMPARISONS[kind], scope)
        if kind in _CONTAINMENT:
            return self._predicate(node.this, _CONTAINMENT[kind], node.expression, scope)
        if isinstance(node, exp.In):
            values = node.args.get("query") or exp.Tuple(expressions=node.expressions)
            return self._predicate(node.this, "in", values, scope)
        if isinstance(node, exp.Between):
            value = exp.and_(node.args["low"], node.args["high"])
            return self._predicate(node.this, "between", value, scope)
        if isinstance(node, exp.Is):
            op = "is null" if isinstance(node.expression, exp.Null) else "="
            return self._predicate(node.this, op, node.expression, scope)
        if isinstance(node, exp.Escape):
            node = node.this
        if isinstance(node, exp.Like | exp.ILike):
            return self._like(node, scope)
        if isinstance(node, exp.RegexpLike):
            return self._predicate(node.this, "~", node.expression, scope)
        if isinstance(node, exp.MatchAgainst) and len(node.expressions) == 1:  # col @@ query
            return self._predicate(node.expressions[0], "@@", node.this, scope)
        if isinstance(node, exp.Or):
            return self._disjunction(node, scope)
        if isinstance(node, exp.Column):
            return self._predicate(node, "=", exp.true(), scope)
        return None

    def _negated(self, node: exp.Expression, scope: Scope) -> None:
        node = node.unnest() if isinstance(node, exp.Paren) else node
        if isinstance(node, exp.Is) and isinstance(node.expression, exp.Null):
            self._predicate(node.this, "is not null", None, scope)
        elif isinstance(node, exp.Column):
            self._predicate(node, "=", exp.false(), scope)

    def _comparison(self, node: exp.Expression, op: str, scope: Scope) -> None:
        left, right = _uncast(node.this), _uncast(node.expression)
        if op == "=" and self._join(left, right, scope):
            return
        if isinstance(right, exp.Any) and op == "=":
            if _has_columns(right.this) and not _has_columns(left):  # 'x' = ANY(tags): no index serves it
                return self._predicate(right.this, "has", left, scope)
            return self._predicate(left, "any", right.this, scope)
        if _has_columns(left) or not _has_columns(right):
            self._predicate(node.this, op, node.expression, scope)
        else:
            self._predicate(node.expression, _FLIPPED[op], node.this, scope)

    def _join(self, left: exp.Expression, right: exp.Expression, scope: Scope) -> bool:
        if not (isinstance(left, exp.Column) and isinstance(right, exp.Column)):
            return False
        a, b = self._resolve(left, scope), self._resolve(right, scope)
        if not a or not b or a[0] is b[0]:
            return a is not None and b is not None
        _add(a[0].join_columns, a[1])
        _add(b[0].join_columns, b[1])
        return True

    def _like(self, node: exp.Like | exp.ILike, scope: Scope) -> None:
        op = "ilike" if isinstance(node, exp.ILike) else "like"
        target = self._target(node.this, scope)
        if target and not _has_columns(node.expression):
            access, column, function = target
            access.predicates.append(Predicate(column=column, op=op, value=_value(node.expression),
                                               function=function, param=_param(node.expression),
                                               leading_wildcard=_leading_wildcard(node.expression)))

    def _disjunction(self, node: exp.Or, scope: Scope) -> None:
        """``a = 1 OR a = 2`` is ``a IN (1, 2)``; an OR across columns of one table is kept in
        ``any_of`` (the planner ORs one bitmap per branch: each branch needs its own index)."""
        parts = list(node.flatten())
        for common in _common_conjuncts(parts):
            self._condition(common, scope)
        targets = {p.this.sql() for p in parts if isinstance(p, exp.EQ) and not _has_columns(p.expression)}
        if len(targets) == 1 and all(isinstance(p, exp.EQ) for p in parts):
            values = exp.Tuple(expressions=[p.expression for p in parts])
            return self._predicate(parts[0].this, "in", values, scope)
        branches = [self._branch(part, scope) for part in parts]
        for access in self.accesses.values():
            found = [next((p for a, p in branch if a is access and p.op in _BRANCH_OPS), None)
                     for branch in branches]
            if all(found) and found not in access.any_of:
                access.any_of.append(found)

    def _branch(self, node: exp.Expression, scope: Scope) -> list[tuple[TableAccess, Predicate]]:
        """The predicates one branch of an OR puts on the tables, taken back out of them (with
        its join keys and inner ORs: what holds in one branch does not hold for the statement)."""
        before = {id(a): (len(a.predicates), len(a.join_columns), len(a.any_of))
                  for a in self.accesses.values()}
        for conjunct in _conjuncts(node):
            self._condition(conjunct, scope)
        found = []
        for access in self.accesses.values():
            predicates, joins, ors = before.get(id(access), (0, 0, 0))
            found += [(access, p) for p in access.predicates[predicates:]]
            del access.predicates[predicates:], access.join_columns[joins:], access.any_of[ors:]
        return found

    def _predicate(self, side: exp.Expression, op: str, value: exp.Expression | None,
                   scope: Scope) -> None:
        if value is not None and _has_columns(value):
            return
        target = self._target(side, scope)
        if target:
            access, column, function = target
            predicate = Predicate(column=column, op=op, value=_value(value), function=function,
                                  param=_param(value))
            if predicate not in access.predicates:
                access.predicates.append(predicate)

    # -- resolving columns -----------------------------------------------------------------

    def _target(self, node: exp.Expression | None, scope: Scope):
        """(access, column or expression text, function) when ``node`` reads one table's column."""
        if node is None:
            return None
        node = node.unnest() if isinstance(node, exp.Paren) else node
        if isinstance(node, exp.Column):
            found = self._resolve(node, scope)
            return (found[0], found[1], None) if found else None
        columns = list(_columns(node))
        if not columns or isinstance(node, _NESTED) or node.find(exp.AggFunc, exp.Window):
            return None
        resolved = [self._resolve(c, scope) for c in columns]
        if not all(resolved) or len({id(r[0]) for r in resolved}) != 1:
            return None
        return resolved[0][0], _expression_text(node, self.units), _function_name(node)

    def _output(self, node: exp.Expression, select: exp.Select) -> exp.Expression:
        """An ORDER/GROUP BY item: a position or an output name stands for its select item."""
        projections = select.expressions
        if isinstance(node, exp.Literal) and not node.is_string and node.this.isdigit():
            position = int(node.this) - 1
            node = projections[position] if 0 <= position < len(projections) else node
        elif isinstance(node, exp.Column) and not node.table:
            named = next((p for p in projections if isinstance(p, exp.Alias) and p.alias == node.name), None)
            node = named or node
        return node.this if isinstance(node, exp.Alias) else node

    def _resolve(self, column: exp.Column, scope: Scope, depth: int = 0):
        """(access, column name) of the base table a column comes from, or None."""
        name = _name(column.this) if isinstance(column.this, exp.Identifier) else None
        if not name or depth > 8:
            return None
        current: Scope | None = scope
        while current is not None:
            if column.table:
                found = current.selected_sources.get(column.table) or _source(current, column.table)
                if found is not None:
                    return self._from_source(found[1], name, depth)
            else:
                hits = self._candidates(current, name)
                if len(hits) == 1:
                    return self._from_source(hits[0], name, depth)
                if len(hits) > 1:
                    return None
            current = current.parent
        return None

    def _candidates(self, scope: Scope, name: str) -> list:
        hits, unknown = [], []
        for _alias, (_node, source) in scope.selected_sources.items():
            if isinstance(source, exp.Table):
                has = self.index.has_column(self.index.qualname(source), name)
                if has:
                    hits.append(source)
                elif has is None:
                    unknown.append(source)
            elif isinstance(source, Scope) and name in _output_names(source):
                hits.append(source)
        if not hits and len(unknown) == 1 and len(scope.selected_sources) == 1:
            return unknown
        return hits

    def _from_source(self, source, name: str, depth: int):
        if isinstance(source, exp.Table):
            return (self._access(source), name) if source.name not in self.virtual else None
        if isinstance(source, Scope):
            inner = _projection(source, name)
            if isinstance(inner, exp.Column):
                return self._resolve(inner, source, depth + 1)
        return None

    def _access(self, table: exp.Table) -> TableAccess:
        access = self.accesses.get(id(table))
        if access is None:
            alias = table.alias or None
            access = self.accesses[id(table)] = TableAccess(table=self.index.qualname(table), alias=alias)
        return access


def _source(scope: Scope, alias: str):
    source = scope.sources.get(alias)
    return (None, source) if source is not None else None


def _output_names(scope: Scope) -> list[str]:
    select = _first_select(scope.expression)
    if select is None:
        return []
    alias = scope.expression.parent.args.get("alias") if scope.expression.parent else None
    renamed = [_name(c) for c in alias.columns] if isinstance(alias, exp.TableAlias) else []
    names = [p.alias_or_name for p in select.expressions]
    return renamed + names[len(renamed):]


def _projection(scope: Scope, name: str) -> exp.Expression | None:
    select = _first_select(scope.expression)
    if select is None:
        return None
    names = _output_names(scope)
    if name not in names:
        return None
    position = names.index(name)
    if position >= len(select.expressions):
        return None
    node = select.expressions[position]
    return node.this if isinstance(node, exp.Alias) else node


def _first_select(node: exp.Expression) -> exp.Select | None:
    while isinstance(node, exp.SetOperation):
        node = node.this
    return node if isinstance(node, exp.Select) else None


def _as_select(tree: exp.Update | exp.Delete) -> exp.Select:
    """UPDATE/DELETE read like the SELECT of the rows they touch (built from copies, not re-parsed)."""
    from_ = tree.args.get("from_") or tree.args.get("from")
    sources = [from_.this] + [j.this for j in from_.args.get("joins") or []] if from_ is not None else []
    sources += list(tree.args.get("using") or [])
    values = [e.expression for e in tree.expressions if isinstance(e, exp.EQ)]
    returning = tree.args.get("returning")
    projections = values + (returning.expressions if returning else [])
    select = exp.Select(expressions=[p.copy() for p in projections] or [exp.Literal.number(1)])
    select.set("from_", exp.From(this=tree.this.copy()))
    select.set("joins", [exp.Join(this=source.copy()) for source in sources])
    for key in ("where", "with_"):
        if tree.args.get(key) is not None:
            select.set(key, tree.args[key].copy())
    return select


# -- small helpers over sqlglot nodes --------------------------------------------------------


def _conjuncts(node: exp.Expression) -> Iterable[exp.Expression]:
    node = node.unnest() if isinstance(node, exp.Paren) else node
    if isinstance(node, exp.And):
        yield from _conjuncts(node.this)
        yield from _conjuncts(node.expression)
    else:
        yield node


def _common_conjuncts(branches: list[exp.Expression]) -> list[exp.Expression]:
    """Conditions every branch of an OR has: ``(a = b AND x) OR (a = b AND y)`` implies a = b."""
    first, *rest = [{c.sql(): c for c in _conjuncts(b)} for b in branches]
    return [node for text, node in first.items() if all(text in other for other in rest)]


def _columns(node: exp.Expression) -> Iterable[exp.Column]:
    for child in node.walk(prune=lambda n: isinstance(n, _NESTED)):
        if isinstance(child, exp.Column) and not isinstance(child.this, exp.Star):
            yield child


def _has_columns(node: exp.Expression | None) -> bool:
    if node is None or node.find(exp.Column) is None:  # most values: a constant, found at C speed
        return False
    return next(iter(_columns(node)), None) is not None


def _uncast(node: exp.Expression) -> exp.Expression:
    while isinstance(node, exp.Cast | exp.Paren):
        node = node.this
    return node


def _value(node: exp.Expression | None) -> str | None:
    """A constant's SQL text; None for a parameter, a subquery or nothing."""
    if node is None:
        return None
    if isinstance(node, exp.Parameter | exp.Placeholder) or node.find(exp.Parameter, exp.Placeholder,
                                                                      *_NESTED):
        return None
    return node.sql(dialect=POSTGRES, copy=not isinstance(node, _LEAVES))


def _param(node: exp.Expression | None) -> int | None:
    """The number n of the ``$n`` a value is (or is computed from, like ``lower($1)``)."""
    found = node.find(exp.Parameter) if node is not None and not isinstance(node, _NESTED) else None
    name = found.name if found is not None else ""
    return int(name) if name.isdigit() else None


def _leading_wildcard(pattern: exp.Expression) -> bool:
    pattern = _uncast(pattern)
    if isinstance(pattern, exp.Literal) and pattern.is_string:
        return pattern.this[:1] in ("%", "_")
    if isinstance(pattern, exp.DPipe):
        return _leading_wildcard(pattern.this)
    if isinstance(pattern, exp.Concat) and pattern.expressions:
        return _leading_wildcard(pattern.expressions[0])
    return False


_UNIT = re.compile(r"date_trunc\s*\(\s*'([^']*)'", re.IGNORECASE)
_WITH = re.compile(r"\bwith\b", re.IGNORECASE)


def _units(sql: str) -> dict[str, str]:
    """date_trunc's units as the statement spells them: sqlglot reads 'day' and 'DAY' alike, but
    an index on date_trunc('day', ts) serves only the spelling it was built with."""
    return {unit.upper(): unit for unit in reversed(_UNIT.findall(sql))}


def _expression_text(node: exp.Expression, units: dict[str, str]) -> str:
    copy = node.copy()
    for column in copy.find_all(exp.Column):
        column.set("table", None)
    for trunc in copy.find_all(exp.TimestampTrunc, exp.DateTrunc):
        unit = trunc.args.get("unit")
        if isinstance(unit, exp.Var):
            trunc.set("unit", exp.var(units.get(unit.name.upper(), unit.name.lower())))
    return copy.sql(dialect=POSTGRES, normalize_functions="lower", copy=False)


def _function_name(node: exp.Expression) -> str:
    if isinstance(node, exp.Cast):
        return "cast"
    if isinstance(node, exp.JSONExtractScalar | exp.JSONBExtractScalar):
        return "->>"
    if isinstance(node, exp.JSONExtract | exp.JSONBExtract):
        return "->"
    if isinstance(node, exp.Anonymous):
        return node.name.lower()
    if isinstance(node, exp.Func):
        return node.sql_name().lower()
    return node.key


def _name(identifier: exp.Expression) -> str:
    if isinstance(identifier, exp.Identifier) and identifier.quoted:
        return identifier.this
    return identifier.name.lower()


def _add(values: list[str], value: str) -> None:
    if value not in values:
        values.append(value)


def _extend(values: list[str], more: Iterable[str]) -> None:
    for value in more:
        _add(values, value)


def describe_shape(shape: QueryShape) -> str:
    """One line naming a shape's parts: what the fixture files compare against."""
    if shape.parse_error:
        return f"error: {shape.parse_error}"
    parts = [shape.kind] + [_describe_access(a) for a in shape.tables]
    if shape.has_limit:
        parts.append(f"limit {'?' if shape.limit is None else shape.limit}")
    if shape.offset is not None:
        parts.append(f"offset {shape.offset}")
    return " | ".join(parts)


def _describe_access(access: TableAccess) -> str:
    sections = []
    if access.predicates:
        sections.append("where " + ", ".join(_describe_predicate(p) for p in access.predicates))
    for branches in access.any_of:
        sections.append("any of " + " | ".join(_describe_predicate(p) for p in branches))
    if access.join_columns:
        sections.append("join " + ", ".join(access.join_columns))
    if access.order_by:
        sections.append("order " + ", ".join(
            o.column + (" desc" if o.desc else "") + ("" if o.nulls_first is None else
                                                      " nulls first" if o.nulls_first else " nulls last")
            for o in access.order_by))
    if access.group_by:
        sections.append("group " + ", ".join(access.group_by))
    name = access.table + (f" {access.alias}" if access.alias else "")
    return f"{name}: " + ("; ".join(sections) or "-")


def _describe_predicate(p: Predicate) -> str:
    text = f"{p.column} {p.op}"
    if p.op not in ("is null", "is not null"):
        text += f" {'?' if p.value is None else p.value}"
    if p.function:
        text += f" [fn {p.function}]"
    if p.leading_wildcard:
        text += " [leading wildcard]"
    return text
