"""What the figures were measured on: cores, memory, CPU, PostgreSQL, Python, packages.

    >>> facts = describe()
    >>> facts["cores"] >= 1
    True
"""

from __future__ import annotations

import os
import platform
import re
import subprocess
from importlib import metadata
from pathlib import Path

PACKAGES = ("sqlglot", "psycopg", "SQLAlchemy", "alembic", "pandas", "jinja2", "testing.postgresql",
            "tpchgen-cli")


def describe() -> dict:
    return {
        "cores": os.cpu_count() or 0,
        "memory": _memory(),
        "cpu": _cpu_model(),
        "os": f"{platform.system()} {platform.release()}",
        "postgresql": _postgres_version(),
        "python": platform.python_version(),
        "packages": {name: _version(name) for name in PACKAGES},
    }


def render(facts: dict) -> str:
    packages = ", ".join(f"{k} {v}" for k, v in facts["packages"].items())
    return "\n".join([
        "## Machine\n",
        f"- CPU: {facts['cpu']} ({facts['cores']} cores visible; shared with other jobs)",
        f"- Memory: {facts['memory']}",
        f"- OS: {facts['os']}",
        f"- PostgreSQL: {facts['postgresql']} (embedded server, advisor.embedded settings)",
        f"- Python: {facts['python']}",
        f"- Packages: {packages}",
        "",
    ])


def _memory() -> str:
    try:
        text = Path("/proc/meminfo").read_text()
    except OSError:
        return "unknown"
    match = re.search(r"MemTotal:\s+(\d+) kB", text)
    return f"{int(match.group(1)) / 1024 / 1024:.1f} GiB" if match else "unknown"


def _cpu_model() -> str:
    try:
        text = Path("/proc/cpuinfo").read_text()
    except OSError:
        return platform.processor() or "unknown"
    match = re.search(r"model name\s*:\s*(.+)", text)
    return match.group(1).strip() if match else (platform.processor() or "unknown")


def _postgres_version() -> str:
    binaries = sorted(Path("/usr/lib/postgresql").glob("*/bin/postgres"),
                      key=lambda p: int(p.parts[-3]) if p.parts[-3].isdigit() else 0)
    for binary in reversed(binaries):
        try:
            done = subprocess.run([str(binary), "--version"], capture_output=True, text=True,
                                  timeout=10)
        except OSError:
            continue
        if done.returncode == 0:
            return done.stdout.strip()
    return "not found"


def _version(name: str) -> str:
    try:
        return metadata.version(name)
    except metadata.PackageNotFoundError:
        return "absent"
