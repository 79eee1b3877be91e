"""Where the application issued a statement: the first stack frame that is the app's own code.

    >>> sites = CallSites(root="/srv/shop")
    >>> sites.here()                                     # doctest: +SKIP
    'shop/views.py:42 in list_orders'

"Own code" is any frame outside SQLAlchemy, the database drivers, the advisor and the standard
library, wherever it is installed: an app installed from a wheel into site-packages still gets
its call sites. Files are shown relative to the app's root (the working directory unless told),
or, outside it, relative to the ``sys.path`` entry they were imported from (``myapp/views.py``).
With SQLAlchemy's asyncio extension the statement runs in a greenlet whose stack holds only
SQLAlchemy; the walk then goes on in the greenlet that awaits it, where the app's coroutine is.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Iterator
from functools import lru_cache
from pathlib import Path
from types import FrameType

SKIPPED_PACKAGES = frozenset({
    "sqlalchemy", "psycopg", "psycopg2", "psycopg_pool", "psycopg_binary", "psycopg_c", "asyncpg",
    "pg8000", "greenlet", "advisor", "_pytest", "pluggy",
})


class CallSites:
    """``file.py:LINE in function`` of the app's frame that issued a statement."""

    def __init__(self, root: Path | str | None = None):
        self.root = os.path.abspath(root or os.getcwd())

    def here(self) -> str | None:
        for frame in _frames(sys._getframe(1)):
            code = frame.f_code
            if not _skipped(code.co_filename, frame.f_globals.get("__name__") or ""):
                return f"{display_path(code.co_filename, self.root)}:{frame.f_lineno} in {code.co_name}"
        return None


def _frames(frame: FrameType | None) -> Iterator[FrameType]:
    """This stack, then the stacks of the greenlets waiting on it (SQLAlchemy's asyncio)."""
    greenlet = sys.modules.get("greenlet")
    current = greenlet.getcurrent() if greenlet is not None else None
    while True:
        while frame is not None:
            yield frame
            frame = frame.f_back
        current = getattr(current, "parent", None)
        frame = getattr(current, "gr_frame", None)
        if frame is None:
            return


@lru_cache(maxsize=4096)
def _skipped(filename: str, module: str) -> bool:
    if filename.startswith("<"):  # exec'd wrappers (SQLAlchemy's), frozen importlib
        return True
    top = module.partition(".")[0]
    return top in SKIPPED_PACKAGES or (top in sys.stdlib_module_names and top != "__main__")


@lru_cache(maxsize=4096)
def display_path(filename: str, root: str) -> str:
    """``filename`` relative to ``root``, else to the import path entry holding it.

        >>> display_path("/srv/app/shop/views.py", "/srv/app")
        'shop/views.py'
    """
    path = os.path.abspath(filename)
    if path.startswith(root.rstrip(os.sep) + os.sep):
        return os.path.relpath(path, root)
    entries = [os.path.abspath(e) for e in sys.path if e]
    holders = [e for e in entries if path.startswith(e.rstrip(os.sep) + os.sep)]
    return os.path.relpath(path, max(holders, key=len)) if holders else path
