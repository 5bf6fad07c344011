-- Ingest state: which objects are in the lake, what could not be ingested, and each run's summary.
-- ingest_state is the cursor (one row per source object version); quarantine keeps every record
-- or object that could not become a row, with the reason, so nothing read is silently lost.
CREATE TABLE IF NOT EXISTS ingest_state (
    source       VARCHAR NOT NULL,   -- s3://bucket/prefix/ or file:///folder
    key          VARCHAR NOT NULL,   -- object key relative to the source
    version      VARCHAR NOT NULL,   -- ETag (S3) or size-mtime (local): a new version is re-read
    size         BIGINT NOT NULL,
    records      BIGINT NOT NULL,    -- records read from the object
    quarantined  BIGINT NOT NULL,    -- records (or the object itself) sent to quarantine
    ingested_at  TIMESTAMPTZ NOT NULL,
    PRIMARY KEY (source, key)
);

CREATE TABLE IF NOT EXISTS quarantine (
    source_key     VARCHAR NOT NULL,  -- the object (s3://... or a path)
    object_version VARCHAR NOT NULL,
    record_index   BIGINT NOT NULL,   -- position in the object (line or array index); -1: object
    reason         VARCHAR NOT NULL,
    raw            VARCHAR,           -- the record as read (bounded to 1 MiB)
    quarantined_at TIMESTAMPTZ NOT NULL,
    PRIMARY KEY (source_key, object_version, record_index)
);

CREATE TABLE IF NOT EXISTS ingest_runs (
    run_id       VARCHAR PRIMARY KEY,
    source       VARCHAR NOT NULL,
    started_at   TIMESTAMPTZ NOT NULL,
    finished_at  TIMESTAMPTZ NOT NULL,
    objects      BIGINT NOT NULL,
    records      BIGINT NOT NULL,
    written      BIGINT NOT NULL,
    duplicates   BIGINT NOT NULL,
    quarantined  BIGINT NOT NULL,
    failed_objects BIGINT NOT NULL
);

-- The ledger `trailguard check` holds the lake's files to, written with the objects' state.
-- partition_objects: which objects have events in which partition (written there, or found
-- there already), so that a lost partition names the objects to read again.
-- partition_rows: events written to each partition; the partition must hold at least as many.
-- Objects ingested before these tables existed have no rows here: `trailguard check` finds
-- them in the files and records them once the lake is sound.
CREATE TABLE IF NOT EXISTS partition_objects (
    event_date   VARCHAR NOT NULL,   -- the partition: events/event_date=.../account_id=...
    account_id   VARCHAR NOT NULL,
    source_key   VARCHAR NOT NULL,   -- the object's URI, as in the events' source_key
    PRIMARY KEY (event_date, account_id, source_key)
);

CREATE TABLE IF NOT EXISTS partition_rows (
    event_date   VARCHAR NOT NULL,
    account_id   VARCHAR NOT NULL,
    rows         BIGINT NOT NULL,    -- events the partition's files hold at least
    PRIMARY KEY (event_date, account_id)
);
