"""Which relationship a loop loads, and the loader option that loads it with its parents.

    >>> loader_options([["Order.items", "OrderItem.product"], ["Order.items"]], {"Order.items": True})
    ['selectinload(Order.items).joinedload(OrderItem.product)']
    >>> class_name("order_items"), class_name("categories"), class_name("addresses")
    ('OrderItem', 'Category', 'Address')

With the app hook the relationship is known (``OrmLoad``). From the server log alone, the
foreign key linking the repeated statement's table to its parent's gives the relationship's
likely name: a lookup by the referencing column is a collection (``Order.order_items``), a
lookup by the referenced key is a many-to-one (``Product.seller`` for ``products.seller_id``).
A collection is loaded with ``selectinload`` (one more query for all parents), a single object
with ``joinedload`` (a LEFT OUTER JOIN in the parents' query).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from advisor.analyze.lookups import lookup_keys, table_name
from advisor.model import Catalog, QueryShape

_PLURALS = ((re.compile(r"ies$"), "y"), (re.compile(r"(ss|x|ch|sh)es$"), r"\1"),
            (re.compile(r"(?<!s)s$"), ""))


def loader(collection: bool) -> str:
    return "selectinload" if collection else "joinedload"


def loader_options(paths: list[list[str]], collections: dict[str, bool]) -> list[str]:
    """One chained option per path, leaving out paths another one extends."""
    paths = [p for p in paths if p]
    kept = [p for p in paths if not any(len(o) > len(p) and o[:len(p)] == p for o in paths)]
    options = [".".join(f"{loader(collections.get(step, False))}({step})" for step in p) for p in kept]
    return list(dict.fromkeys(options))


def imports(options: list[str]) -> str:
    used = sorted({name for name in ("joinedload", "selectinload") if any(name + "(" in o for o in options)})
    return f"from sqlalchemy.orm import {', '.join(used)}"


def class_name(table: str) -> str:
    """The usual mapped class name of a table: singular, CamelCase."""
    words = table_name(table).split(".")[-1].split("_")
    for pattern, replacement in _PLURALS:
        if pattern.search(words[-1]):
            words[-1] = pattern.sub(replacement, words[-1])
            break
    return "".join(w[:1].upper() + w[1:] for w in words if w)


@dataclass
class Guess:
    """A relationship named from a foreign key."""

    name: str  # "Order.order_items"
    collection: bool
    foreign_key: str  # "order_items.order_id → orders.id"


def guess(child: QueryShape, parent: QueryShape | None, catalog: Catalog) -> Guess | None:
    """The relationship a lookup of one table likely loads for the rows of its parent statement."""
    if parent is None or child.kind != "select" or len({a.table for a in child.tables}) != 1:
        return None
    keys = lookup_keys(child)
    if len(keys) != 1:
        return None
    table, column = child.tables[0].table, keys[0]
    parents = {a.table for a in parent.tables}
    for fk in catalog.foreign_keys:
        link = f"{table_name(fk.table)}.{', '.join(fk.columns)} → {table_name(fk.ref_table)}.{', '.join(fk.ref_columns)}"
        if fk.table == table and fk.columns[:1] == [column] and fk.ref_table in parents:
            return Guess(f"{class_name(fk.ref_table)}.{table_name(table).split('.')[-1]}", True, link)
        if fk.ref_table == table and fk.ref_columns[:1] == [column] and fk.table in parents:
            attribute = fk.columns[0].removesuffix("_id") if fk.columns[0].endswith("_id") else \
                class_name(table).lower()
            return Guess(f"{class_name(fk.table)}.{attribute}", False, link)
    return None
