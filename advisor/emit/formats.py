"""Machine-readable renderings of an Analysis: ``json``, ``markdown``, ``sarif``.

    >>> from advisor.model import Analysis
    >>> render(Analysis(), "json").startswith('{')
    True
"""

from __future__ import annotations

import json

from advisor.emit.document import analysis_document
from advisor.errors import AdvisorError
from advisor.model import Analysis

FORMATS = ("json", "markdown", "sarif")


def render(analysis: Analysis, fmt: str) -> str:
    if fmt == "json":
        return json.dumps(analysis_document(analysis), indent=2, default=str, ensure_ascii=False)
    if fmt == "markdown":
        from advisor.emit.markdown import render_markdown

        return render_markdown(analysis)
    if fmt == "sarif":
        from advisor.emit.sarif import sarif_document

        return json.dumps(sarif_document(analysis), indent=2, default=str, ensure_ascii=False)
    raise AdvisorError(f"unknown output format {fmt!r} (choose from {', '.join(FORMATS)})")
