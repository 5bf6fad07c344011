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

-- Triage (pipeline/findings/triage.py): the latest decision on a finding's status, who made it
-- and why. `status_by` is a person for `trailguard archive`/`unarchive`, or `suppression` when a
-- suppression rule archived it (sql/detect/archive.sql); NULL while nobody has decided.
ALTER TABLE findings ADD COLUMN IF NOT EXISTS status_reason VARCHAR;
ALTER TABLE findings ADD COLUMN IF NOT EXISTS status_by VARCHAR;
ALTER TABLE findings ADD COLUMN IF NOT EXISTS status_at TIMESTAMPTZ;

-- Every archive and unarchive, oldest first: the audit trail behind `status_by`. A person's
-- `unarchive` is final for suppression rules: sql/detect/archive.sql never archives that finding
-- again (a person's word outranks a glob).
CREATE TABLE IF NOT EXISTS finding_actions (
    finding_id  VARCHAR NOT NULL,
    action      VARCHAR NOT NULL,     -- archive | unarchive
    actor       VARCHAR NOT NULL,     -- who: a person's name, or `suppression`
    reason      VARCHAR NOT NULL,
    acted_at    TIMESTAMPTZ NOT NULL,
    suppression VARCHAR               -- the suppression entry this action wrote, if any
);
