-- Insert a finding whose id is not stored yet: upsert.sql without its conflict clause, which
-- DuckDB takes five times as long to run per statement (a fresh lake's 660 findings at 10M
-- events cost 4 s of upserts). pipeline/findings.py sends every finding already stored (or sent
-- before in the same batch) through upsert.sql instead.
-- The upsert draws two numbers from `finding_revision` per new finding (DuckDB evaluates the
-- update's nextval too) and stores the first: this draws the same two, so revisions stay
-- numbered as they were, whichever statement stored a finding.
INSERT INTO findings (
    finding_id, type, severity, title, description, account_id, principal, region,
    first_seen, last_seen, event_count, score, detector, model_version, evidence,
    status, created_at, updated_at, version, revision
)
SELECT
    $finding_id, $type, $severity, $title, $description, $account_id, $principal, $region,
    $first_seen, $last_seen, $event_count, $score, $detector, $model_version, $evidence,
    'active', $now, $now, 1, least(drawn.first, drawn.second)  -- both used, or one is not drawn
FROM (SELECT nextval('finding_revision') AS first, nextval('finding_revision') AS second) AS drawn;
