-- The SQLite schema of openrtm, as a list of migrations.
--
-- Each section starts with a line "-- version N" and upgrades a database at version N - 1 to
-- version N. SqliteStore.open() runs, in order and all in one transaction, the sections
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

-- version 2
-- Offline messages (spec §6.2): at most 200 per receiver, kept at most 7 days, oldest dropped.
--
-- seq is the ack handle: the server peeks, delivers, then deletes "everything of this receiver
-- up to seq". AUTOINCREMENT keeps a seq from ever being given out twice, even after every row
-- has been deleted (a plain rowid would start again at max(seq) + 1), so a late ack can never
-- delete a message stored after the peek it answers.
CREATE TABLE inbox (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    app_id TEXT NOT NULL,
    receiver TEXT NOT NULL,
    sender TEXT NOT NULL,
    mid TEXT NOT NULL,
    payload BLOB NOT NULL,
    ts INTEGER NOT NULL
);
-- A receiver's entries in send order: peek, ack and the cap read only their own receiver.
CREATE INDEX inbox_receiver_seq ON inbox (app_id, receiver, seq);
-- The sweeper's purge of everything older than 7 days, across all apps.
CREATE INDEX inbox_ts ON inbox (ts);

-- How many entries each (App ID, receiver) holds, kept in step by every put, ack and purge in
-- the same transaction, so that the cap is enforced on insert without counting rows. A row is
-- deleted when its count reaches 0: receivers with an empty inbox cost nothing.
CREATE TABLE inbox_counts (
    app_id TEXT NOT NULL,
    receiver TEXT NOT NULL,
    n INTEGER NOT NULL,
    PRIMARY KEY (app_id, receiver)
) WITHOUT ROWID;

-- Archived text messages (spec §6.3), read by the REST history API (spec §7.4). Retention is
-- unconfirmed in the spec: nothing is dropped yet.
CREATE TABLE history (
    seq INTEGER PRIMARY KEY,
    app_id TEXT NOT NULL,
    src TEXT NOT NULL,
    dst TEXT NOT NULL,
    dst_kind TEXT NOT NULL CHECK (dst_kind IN ('user', 'channel')),
    payload TEXT NOT NULL,
    ts INTEGER NOT NULL
);
-- (app_id, ts, then the implicit rowid): a time window in archive order, with no sort.
CREATE INDEX history_app_ts ON history (app_id, ts);

-- version 3
-- Channel attributes (spec §1.7, §5.3, §6.7): kept until cleared, by a client or by the server
-- once the channel has stayed empty a while. Each key carries who last wrote it and when (ms).
-- The primary key serves every statement: one channel's set, a key of it, and the distinct
-- (app_id, channel) pairs the server reads at start.
CREATE TABLE channel_attributes (
    app_id TEXT NOT NULL,
    channel TEXT NOT NULL,
    key TEXT NOT NULL,
    value TEXT NOT NULL,
    user_id TEXT NOT NULL,
    ts INTEGER NOT NULL,
    PRIMARY KEY (app_id, channel, key)
) WITHOUT ROWID;

-- version 4
-- The REST history API's filters (spec §7.4): by sender (source), and by receiver or channel
-- (destination). Each index ends with ts and the implicit rowid, so a filtered time window is
-- read in archive order, forwards or backwards, with no sort; counts read the index only.
CREATE INDEX history_app_src_ts ON history (app_id, src, ts);
CREATE INDEX history_app_dst_ts ON history (app_id, dst, ts);

-- version 5
-- Uploaded media objects (spec §1.6, §5.2: FILE and IMAGE messages, ≤ 1.4.x). The bytes are
-- files beside the database (<data dir>/media/<app_id>/<media_id>); a row is written once the
-- file is in place and deleted before the file is, so a crash leaves at worst a file without
-- a row, which the server removes at start. media_id is random and unique across Apps; a read
-- names the App too, so another App's id is unknown.
CREATE TABLE media (
    media_id TEXT PRIMARY KEY,
    app_id TEXT NOT NULL,
    size INTEGER NOT NULL,
    content_type TEXT NOT NULL,
    width INTEGER NOT NULL,
    height INTEGER NOT NULL,
    uploader TEXT NOT NULL,
    created_ms INTEGER NOT NULL,
    expires_ms INTEGER NOT NULL
) WITHOUT ROWID;
-- The sweeper's purge of expired objects, across all Apps.
CREATE INDEX media_expires ON media (expires_ms);
