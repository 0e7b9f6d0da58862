"""The REST history inputs (spec §7.4): bodies and query strings in, values or one error out.

Pure: no server, no loop. Hypothesis throws every JSON value at the parsers; the only
exception they may raise is :class:`HistoryQueryError`, whose message names the field.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta, timezone
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from openrtm.server.history import (
    DEFAULT_LIMIT,
    DEFAULT_ORDER,
    MAX_OFFSET,
    HistoryFilter,
    HistoryQuery,
    HistoryQueryError,
    parse_count_query,
    parse_history_query,
)

T = "2019-08-01T01:22:10Z"
T_MS = 1_564_622_530_000
END = "2019-08-02T00:00:00Z"
END_MS = 1_564_704_000_000

json_values = st.recursive(
    st.none()
    | st.booleans()
    | st.integers()
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(),
    lambda children: (
        st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=12), children, max_size=4)
    ),
    max_leaves=12,
)
"""Any value ``json.loads`` can return."""

# Values near the valid ones, so that generated bodies get past the first checks.
ids = st.sampled_from(["alice", "lobby", None, "", "null", " ", "a" * 65, "é"]) | json_values
times = (
    st.sampled_from([T, END, None, "", "2019-08-01T01:22:10", "2019-08-01T01:22:10.5+08:00"])
    | st.datetimes(timezones=st.none() | st.timezones()).map(lambda d: d.isoformat())
    | json_values
)
numbers = st.sampled_from([0, 1, 20, 50, 100, -1, 2**63, 20.0, True, None]) | json_values
orders = st.sampled_from(["asc", "desc", "ASC", None]) | json_values
filters = st.fixed_dictionaries(
    {},
    optional={
        "source": ids,
        "destination": ids,
        "start_time": times,
        "end_time": times,
        "other": json_values,
    },
)
bodies = st.fixed_dictionaries(
    {},
    optional={
        "filter": filters | json_values,
        "offset": numbers,
        "limit": numbers,
        "order": orders,
        "offSet": json_values,
    },
)


def body(**changes: Any) -> dict[str, Any]:
    """A valid body, changed; a value of ``...`` removes the key (``filter__x`` for filter's)."""
    out: dict[str, Any] = {
        "filter": {"source": "alice", "destination": "bob", "start_time": T, "end_time": END},
        "offset": 0,
        "limit": 20,
        "order": "asc",
    }
    # The filter's keys first: a change of "filter" itself replaces the whole filter.
    for key, value in sorted(changes.items(), key=lambda kv: not kv[0].startswith("filter__")):
        target, name = (out["filter"], key[8:]) if key.startswith("filter__") else (out, key)
        if value is ...:
            target.pop(name, None)
        else:
            target[name] = value
    return out


@given(json_values)
def test_any_json_value_is_a_query_or_a_query_error(value: object) -> None:
    try:
        query = parse_history_query(value)
    except HistoryQueryError as exc:
        message = str(exc)
    else:
        assert isinstance(query, HistoryQuery)
        return
    assert message[:1].islower()  # a lower-case message, naming the field first


KEYS = ["filter", "offset", "limit", "order", "offSet"]
KEYS += [f"filter__{k}" for k in ("source", "destination", "start_time", "end_time", "other")]
# A valid body with a few keys replaced by near-valid values, or removed (...).
mutants = st.dictionaries(
    st.sampled_from(KEYS), st.just(...) | ids | times | numbers | orders, max_size=3
).map(lambda changes: body(**changes))


@given(bodies | mutants)
def test_any_body_shape_is_a_query_or_a_query_error(value: dict[str, Any]) -> None:
    try:
        query = parse_history_query(json.loads(json.dumps(value)))
    except HistoryQueryError:
        return
    f = query.filter
    assert f.source is not None or f.destination is not None
    assert f.start_ms <= f.end_ms
    assert query.limit in (20, 50, 100)
    assert query.order in ("asc", "desc")
    assert 0 <= query.offset <= MAX_OFFSET


@given(
    st.dictionaries(st.text(max_size=12), st.text(max_size=40))
    | st.dictionaries(
        st.sampled_from(["source", "destination", "start_time", "end_time"]),
        (ids | times).filter(lambda v: isinstance(v, str)),
    )
)
def test_any_query_string_is_a_filter_or_a_query_error(params: dict[str, str]) -> None:
    try:
        f = parse_count_query(params)
    except HistoryQueryError:
        return
    assert isinstance(f, HistoryFilter)
    assert f.source is not None or f.destination is not None


def test_a_valid_body() -> None:
    assert parse_history_query(body()) == HistoryQuery(
        HistoryFilter("alice", "bob", T_MS, END_MS), offset=0, limit=20, order="asc"
    )


def test_defaults_and_nulls() -> None:
    minimal = {"filter": {"destination": "lobby", "start_time": T, "end_time": END}}
    want = HistoryQuery(HistoryFilter(None, "lobby", T_MS, END_MS), 0, DEFAULT_LIMIT, "desc")
    assert DEFAULT_ORDER == "desc"  # spec §7.4
    assert parse_history_query(minimal) == want
    nulls = body(filter__source=None, filter__destination="lobby", offset=None, limit=None)
    assert parse_history_query(nulls | {"order": None}) == want


def test_unknown_keys_are_ignored() -> None:
    # Flat's iOS client sends "offSet"; Agora's service took it.
    got = parse_history_query(body(offSet=3, filter__channel="x", extra=[1]))
    assert got == parse_history_query(body())


@pytest.mark.parametrize("limit", [20, 50, 100])
def test_the_three_page_sizes(limit: int) -> None:
    assert parse_history_query(body(limit=limit)).limit == limit


@pytest.mark.parametrize(
    ("value", "match"),
    [
        (None, "json object"),
        ([], "json object"),
        ("{}", "json object"),
        ({}, "filter is required"),
        (body(filter=None), "filter is required"),
        (body(filter=[]), "filter must be an object"),
        (body(filter__source=None, filter__destination=None), "cannot both be null"),
        (body(filter__source=..., filter__destination=...), "cannot both be null"),
        (body(filter__source=""), "filter.source must be a user id"),
        (body(filter__source="null"), "filter.source must be a user id"),
        (body(filter__source="a" * 65), "filter.source must be a user id"),
        (body(filter__source=7), "filter.source must be a user id"),
        (body(filter__destination="é"), "filter.destination must be a user or channel id"),
        (body(filter__destination=["bob"]), "filter.destination"),
        (body(filter__start_time=...), "filter.start_time is required"),
        (body(filter__end_time=None), "filter.end_time is required"),
        (body(filter__start_time=1564622530), "filter.start_time must be a UTC ISO-8601"),
        (body(filter__end_time="yesterday"), "filter.end_time must be"),
        (body(filter__start_time=END, filter__end_time=T), "end_time is before"),
        (body(offset=-1), "offset must be an integer"),
        (body(offset=2**63), "offset must be an integer"),
        (body(offset=1.0), "offset must be an integer"),
        (body(offset=True), "offset must be an integer"),
        (body(offset="0"), "offset must be an integer"),
        (body(limit=10), "limit must be 20, 50 or 100"),
        (body(limit=20.0), "limit must be 20, 50 or 100"),
        (body(limit=True), "limit must be 20, 50 or 100"),
        (body(limit="20"), "limit must be 20, 50 or 100"),
        (body(order="ASC"), "order must be 'asc' or 'desc'"),
        (body(order=["asc"]), "order must be"),
        (body(order={}), "order must be"),
    ],
)
def test_bad_bodies_name_the_field(value: object, match: str) -> None:
    with pytest.raises(HistoryQueryError, match=match):
        parse_history_query(value)


def test_the_largest_offset() -> None:
    assert parse_history_query(body(offset=MAX_OFFSET)).offset == MAX_OFFSET


@pytest.mark.parametrize(
    ("text", "ms"),
    [
        ("2019-08-01T01:22:10Z", T_MS),
        ("2019-08-01T01:22:10z", T_MS),
        ("2019-08-01t01:22:10Z", T_MS),
        ("2019-08-01T01:22:10+00:00", T_MS),
        ("2019-08-01T01:22:10-00:00", T_MS),
        ("2019-08-01T09:22:10+08:00", T_MS),  # an explicit offset is one instant
        ("2019-07-31T20:22:10-05:00", T_MS),
        ("2019-08-01T01:22:10.5Z", T_MS + 500),
        ("2019-08-01T01:22:10.123Z", T_MS + 123),
        ("2019-08-01T01:22:10.123000000Z", T_MS + 123),
        # Below the ms, rounded up: a message at ts is in [start, end) exactly as it is in
        # the exact window (the store keeps ms).
        ("2019-08-01T01:22:10.0001Z", T_MS + 1),
        ("2019-08-01T01:22:10.000000001Z", T_MS + 1),
        ("2019-08-01T01:22:10.999999Z", T_MS + 1000),
        ("1970-01-01T00:00:00Z", 0),
        ("1969-12-31T23:59:59.9995Z", 0),
        ("1969-12-31T23:59:59.999Z", -1),
        ("0001-01-01T00:00:00Z", -62_135_596_800_000),
        ("9999-12-31T23:59:59.999999999Z", 253_402_300_800_000),
        ("0001-01-01T00:00:00+23:59", -62_135_596_800_000 - (23 * 60 + 59) * 60_000),
        ("9999-12-31T23:59:59-23:59", 253_402_300_799_000 + (23 * 60 + 59) * 60_000),
    ],
)
def test_times(text: str, ms: int) -> None:
    got = parse_history_query(body(filter__start_time=text, filter__end_time=text))
    assert (got.filter.start_ms, got.filter.end_ms) == (ms, ms)


@pytest.mark.parametrize(
    "text",
    [
        "2019-08-01T01:22:10",  # no zone: refused rather than guessed
        "2019-08-01 01:22:10Z",
        "2019-08-01",
        "2019-08-01T01:22Z",
        "20190801T012210Z",
        "2019-08-01T01:22:10.Z",
        "2019-08-01T01:22:10.1234567890Z",
        "2019-13-01T01:22:10Z",
        "2019-02-30T01:22:10Z",
        "2019-08-01T24:00:00Z",
        "2019-08-01T23:59:60Z",
        "2019-08-01T01:22:10+24:00",
        "2019-08-01T01:22:10+0800",
        "0000-01-01T00:00:00Z",
        "２０１９-08-01T01:22:10Z",  # fullwidth digits
        " 2019-08-01T01:22:10Z",
        "2019-08-01T01:22:10Z\n",
        "",
    ],
)
def test_bad_times_are_refused(text: str) -> None:
    with pytest.raises(HistoryQueryError, match=r"filter\.start_time must be a UTC ISO-8601"):
        parse_history_query(body(filter__start_time=text))


@given(
    st.datetimes(
        min_value=datetime(1, 1, 2),
        max_value=datetime(9999, 12, 30),
        timezones=st.just(UTC)
        | st.builds(
            timezone, st.integers(-23 * 60 - 59, 23 * 60 + 59).map(lambda m: timedelta(minutes=m))
        ),
    )
)
def test_any_aware_time_reads_as_its_instant(moment: datetime) -> None:
    text = moment.isoformat()  # "+00:00", "-05:30", with or without microseconds
    got = parse_history_query(body(filter__start_time=text, filter__end_time=text))
    us = (moment - datetime(1970, 1, 1, tzinfo=UTC)) // timedelta(microseconds=1)
    assert got.filter.start_ms == -(-us // 1000)


def test_a_count_query_string() -> None:
    params = {"source": "alice", "destination": "lobby", "start_time": T, "end_time": END}
    assert parse_count_query(params) == HistoryFilter("alice", "lobby", T_MS, END_MS)
    # A query string has no null: empty is absent; other parameters are ignored.
    params |= {"source": "", "page": "2"}
    assert parse_count_query(params) == HistoryFilter(None, "lobby", T_MS, END_MS)


@pytest.mark.parametrize(
    ("params", "match"),
    [
        ({"start_time": T, "end_time": END}, "source and destination cannot both be null"),
        ({"source": "", "destination": "", "start_time": T, "end_time": END}, "both be null"),
        ({"source": "a b\x00", "start_time": T, "end_time": END}, "^source must be a user id"),
        ({"destination": "null", "start_time": T, "end_time": END}, "^destination must be"),
        ({"source": "alice", "end_time": END}, "^start_time is required"),
        ({"source": "alice", "start_time": T}, "^end_time is required"),
        ({"source": "alice", "start_time": T, "end_time": ""}, "^end_time must be a UTC"),
        ({"source": "alice", "start_time": END, "end_time": T}, "end_time is before start_time"),
    ],
)
def test_bad_count_queries_name_the_parameter(params: dict[str, str], match: str) -> None:
    with pytest.raises(HistoryQueryError, match=match):
        parse_count_query(params)
