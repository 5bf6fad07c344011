-- The findings table: one row per finding, GuardDuty-like.
-- A finding is updated (event_count, last_seen, score, evidence), never repeated: finding_id is a
-- stable hash of detector, principal and episode. Every insert or material update takes the next
-- `revision` from a global sequence, so an exporter's cursor is simply the last revision it sent
-- (an updated finding is sent again under the same finding_id).
CREATE SEQUENCE IF NOT EXISTS finding_revision START 1;

CREATE TABLE IF NOT EXISTS findings (
    finding_id    VARCHAR PRIMARY KEY,
    type          VARCHAR NOT NULL,     -- e.g. Stealth:IAMUser/CloudTrailLoggingDisabled
    severity      DOUBLE NOT NULL,      -- 1.0-8.9 (Low < 4.0 <= Medium < 7.0 <= High); sequences 9-10
    title         VARCHAR NOT NULL,
    description   VARCHAR NOT NULL,
    account_id    VARCHAR,
    principal     VARCHAR NOT NULL,     -- the principal key
    region        VARCHAR,
    first_seen    TIMESTAMPTZ NOT NULL,
    last_seen     TIMESTAMPTZ NOT NULL,
    event_count   BIGINT NOT NULL,
    score         DOUBLE,               -- anomaly score, or NULL for exact rules
    detector      VARCHAR NOT NULL,     -- e.g. rules.cloudtrail_logging_disabled, isolation_forest
    model_version VARCHAR,
    evidence      JSON NOT NULL,
    status        VARCHAR NOT NULL DEFAULT 'active',  -- active | archived
    created_at    TIMESTAMPTZ NOT NULL,
    updated_at    TIMESTAMPTZ NOT NULL,
    version       BIGINT NOT NULL DEFAULT 1,          -- 1 + the number of material updates
    revision      BIGINT NOT NULL                     -- global change counter (exporter cursor)
);

-- The attack sequence a finding belongs to (pipeline/detect/sequences.py sets it after each run;
-- NULL otherwise). Added after the table's first release: lakes made before it gain the column.
ALTER TABLE findings ADD COLUMN IF NOT EXISTS sequence_id VARCHAR;
