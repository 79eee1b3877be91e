#!/usr/bin/env bash
# Installs PostgreSQL server, pg_stat_statements (contrib) and HypoPG when they are missing, and
# with --browser also Chromium (the report's browser test). Idempotent; explains itself where it
# cannot install (not root, no apt-get).
set -euo pipefail
want_browser=0
[ "${1:-}" = "--browser" ] && want_browser=1

have_pg() { ls /usr/lib/postgresql/*/bin/postgres >/dev/null 2>&1 || command -v postgres >/dev/null 2>&1; }
pg_major() { ls /usr/lib/postgresql 2>/dev/null | sort -n | tail -1; }
have_hypopg() { local m; m=$(pg_major); [ -n "$m" ] && [ -f "/usr/share/postgresql/$m/extension/hypopg.control" ]; }
have_contrib() { local m; m=$(pg_major); [ -n "$m" ] && [ -f "/usr/share/postgresql/$m/extension/pg_stat_statements.control" ]; }
have_chromium() { command -v chromium >/dev/null 2>&1; }

missing=()
have_pg || missing+=(postgresql postgresql-contrib)
have_pg && ! have_contrib && missing+=("postgresql-contrib")
[ $want_browser -eq 1 ] && ! have_chromium && missing+=(chromium)
if have_pg; then
  have_hypopg || missing+=("postgresql-$(pg_major)-hypopg")
fi
[ ${#missing[@]} -eq 0 ] && have_hypopg && exit 0

if [ "$(id -u)" -ne 0 ] || ! command -v apt-get >/dev/null 2>&1; then
  echo "advisor: missing system packages: ${missing[*]:-postgresql-<major>-hypopg}" >&2
  echo "advisor: install them with your package manager (as root: apt-get install ...)" >&2
  exit 1
fi

export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
if ! have_pg; then
  apt-get install -y -qq --no-install-recommends postgresql postgresql-contrib >/dev/null
fi
have_hypopg || apt-get install -y -qq --no-install-recommends "postgresql-$(pg_major)-hypopg" >/dev/null
if [ $want_browser -eq 1 ] && ! have_chromium; then
  apt-get install -y -qq --no-install-recommends chromium >/dev/null || \
    echo "advisor: chromium could not be installed; the browser test of the report will be skipped" >&2
fi
# Debian's postgresql package may start a cluster of its own; the advisor never uses it.
have_hypopg || { echo "advisor: HypoPG could not be installed (postgresql-$(pg_major)-hypopg)" >&2; exit 1; }
echo "advisor: system packages ready (PostgreSQL $(pg_major), HypoPG)" >&2
