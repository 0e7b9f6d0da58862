-- The SQLite schema of openrtm, as a list of migrations.
--
-- Each section starts with a line "-- version N" and upgrades a database at version N - 1 to
-- version N. SqliteStore.open() runs, in order and each in its own transaction, the sections
-- above the database's PRAGMA user_version, then sets user_version to N. Never edit a released
-- section: append a new one.

-- version 1
-- REST user and channel events (spec §7.5): a destructive-read ring per App ID and kind.
--
-- seq is the rowid: SQLite gives a new row max(seq) + 1, so seq grows with insertion order for
-- as long as older rows exist, which is all the order needs (no AUTOINCREMENT bookkeeping).
CREATE TABLE user_events (
    seq INTEGER PRIMARY KEY,
    app_id TEXT NOT NULL,
    uid TEXT NOT NULL,
    type TEXT NOT NULL CHECK (type IN ('Login', 'Logout')),
    ms INTEGER NOT NULL
);
CREATE INDEX user_events_app_seq ON user_events (app_id, seq);

CREATE TABLE channel_events (
    seq INTEGER PRIMARY KEY,
    app_id TEXT NOT NULL,
    channel_id TEXT NOT NULL,
    uid TEXT NOT NULL,
    type TEXT NOT NULL CHECK (type IN ('Join', 'Leave')),
    ms INTEGER NOT NULL
);
CREATE INDEX channel_events_app_seq ON channel_events (app_id, seq);

-- How many events each (kind, App ID) holds, kept in step by every insert and take in the same
-- transaction, so that the 2 000 cap is enforced on insert without counting rows.
CREATE TABLE event_counts (
    kind TEXT NOT NULL CHECK (kind IN ('user', 'channel')),
    app_id TEXT NOT NULL,
    n INTEGER NOT NULL,
    PRIMARY KEY (kind, app_id)
) WITHOUT ROWID;
