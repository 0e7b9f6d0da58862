"""The SQLite history reads use the version 4 indexes: no table scan, no sort (spec §7.4)."""

from __future__ import annotations

import sqlite3

import pytest

from openrtm.store import sqlite_history
from openrtm.store.sqlite_writer import _migrations


@pytest.fixture
def conn() -> sqlite3.Connection:
    conn = sqlite3.connect(":memory:")
    for _, sql in _migrations():
        conn.executescript(sql)
    return conn


def plan(conn: sqlite3.Connection, sql: str) -> str:
    rows = conn.execute("EXPLAIN QUERY PLAN " + sql, (0,) * sql.count("?")).fetchall()
    return " | ".join(row[3] for row in rows)


@pytest.mark.parametrize("sql", [*sqlite_history._SELECT_FILTERED.values()])
def test_a_filtered_page_is_read_from_an_index_in_order(conn: sqlite3.Connection, sql: str) -> None:
    got = plan(conn, sql)
    assert "USING INDEX history_app_" in got
    assert "TEMP B-TREE" not in got  # no sort, in either order


@pytest.mark.parametrize("sql", [*sqlite_history._COUNT_FILTERED.values()])
def test_a_count_is_read_from_an_index(conn: sqlite3.Connection, sql: str) -> None:
    assert "INDEX history_app_" in plan(conn, sql)


def test_the_purge_seeks_each_app(conn: sqlite3.Connection) -> None:
    assert "INDEX history_app_ts" in plan(conn, sqlite_history._PURGE_APP)
    assert "INDEX history_app_ts" in plan(conn, sqlite_history._NEXT_APP)
