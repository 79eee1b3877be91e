"""The server settings the later stages reason with (planner costs, memory, logging)."""

from __future__ import annotations

import psycopg

WANTED = (
    "block_size", "cpu_index_tuple_cost", "cpu_operator_cost", "cpu_tuple_cost",
    "default_statistics_target", "effective_cache_size", "effective_io_concurrency", "jit",
    "log_line_prefix", "log_destination", "log_min_duration_statement", "maintenance_work_mem",
    "max_connections", "max_parallel_workers_per_gather", "pg_stat_statements.max",
    "pg_stat_statements.track", "pg_stat_statements.track_planning", "random_page_cost",
    "seq_page_cost", "server_version_num", "shared_buffers", "shared_preload_libraries",
    "track_io_timing", "work_mem", "autovacuum", "plan_cache_mode",
)


# a setting counted in blocks ('8kB') or segments ('16MB') is shown in kB or MB: 4194304kB
VALUE = ("CASE WHEN unit ~ '^[0-9]' THEN (setting::numeric * substring(unit FROM '^[0-9]+')::numeric)"
         "::text || substring(unit FROM '[a-zA-Z]+$') ELSE setting || coalesce(unit, '') END")


def read_settings(conn: psycopg.Connection) -> dict[str, str]:
    # pg_settings shows only what this role may read (some need pg_read_all_settings)
    rows = conn.execute(f"SELECT name, {VALUE} FROM pg_settings "
                        "WHERE name = ANY(%s) ORDER BY name", (list(WANTED),))
    return {name: value for name, value in rows}
