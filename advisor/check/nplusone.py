"""Which statements of a request form an N+1 pattern: repeated enough times in one request.

    >>> from advisor.check.baseline import RequestRecord
    >>> from advisor.check.settings import CheckSettings
    >>> repeated(RequestRecord("GET /o", repeats={"a": 12, "b": 2}), CheckSettings())
    {'a': 12}

The analyze stage's n-plus-one rule judges traces with more context (call sites, parameters);
the check only needs "is this statement repeated within one request", with the same threshold.
"""

from __future__ import annotations

from advisor.check.baseline import RequestRecord
from advisor.check.settings import CheckSettings


def repeated(request: RequestRecord, settings: CheckSettings) -> dict[str, int]:
    return {fp: n for fp, n in sorted(request.repeats.items())
            if n >= settings.n_plus_one_repeats}
