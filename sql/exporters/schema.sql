-- Delivery state of each export destination, in the lake database next to `findings`.
-- export_cursors: one row per destination (its name with secrets removed). `revision` is the last
-- findings.revision delivered there: the next run sends what is above it, so an updated finding
-- (which takes a new revision) is sent again under the same finding id, and a batch that failed
-- stays above the cursor for the next run. last_error says why the last run stopped, if it did.
-- export_rejects: findings a destination refused one by one (4xx for that finding only); the
-- cursor moves past them so one malformed finding cannot block the feed, and they stay listed.
CREATE TABLE IF NOT EXISTS export_cursors (
    destination     VARCHAR PRIMARY KEY,
    revision        BIGINT NOT NULL DEFAULT 0,
    sent_total      BIGINT NOT NULL DEFAULT 0,
    last_success_at TIMESTAMPTZ,
    last_attempt_at TIMESTAMPTZ,
    last_error      VARCHAR
);

CREATE TABLE IF NOT EXISTS export_rejects (
    destination VARCHAR NOT NULL,
    finding_id  VARCHAR NOT NULL,
    revision    BIGINT NOT NULL,
    reason      VARCHAR NOT NULL,
    rejected_at TIMESTAMPTZ NOT NULL,
    PRIMARY KEY (destination, finding_id, revision)
);
