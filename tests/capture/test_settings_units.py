"""Settings counted in blocks or segments (unit '8kB', '16MB') are captured in kB or MB: the
value in pg_settings times its unit, not the two written side by side ('524288' and '8kB' once
made '5242888kB' of a 4 GB effective_cache_size)."""

import psycopg

from advisor.capture.settings import read_settings
from advisor.recommend import parse_size


def test_memory_settings_read_in_bytes_as_the_server_means_them(fresh_db):
    with psycopg.connect(fresh_db) as conn:
        captured = read_settings(conn)
        for name in ("effective_cache_size", "shared_buffers", "work_mem"):
            expected = conn.execute("SELECT pg_size_bytes(current_setting(%s))", (name,)).fetchone()[0]
            assert parse_size(captured[name]) == expected, (name, captured[name])
    assert captured["random_page_cost"] == captured["random_page_cost"].strip() and float(captured["random_page_cost"]) > 0
