-- The findings table: one row per finding, GuardDuty-like.
-- A finding is updated (event_count, last_seen, score, evidence), never repeated: finding_id is a
-- stable hash of detector, principal and episode.
CREATE TABLE IF NOT EXISTS findings (
    finding_id    VARCHAR PRIMARY KEY,
    type          VARCHAR NOT NULL,     -- e.g. Stealth:IAMUser/CloudTrailLoggingDisabled
    severity      DOUBLE NOT NULL,      -- 1.0-8.9 (Low < 4.0 <= Medium < 7.0 <= High)
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
    version       BIGINT NOT NULL DEFAULT 1          -- grows on each update; exporters resend
);
