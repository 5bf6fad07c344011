-- Insert a finding whose id is not stored yet: upsert.sql without its conflict clause, which
-- DuckDB takes five times as long to run per statement (a fresh lake's 660 findings at 10M
-- events cost 4 s of upserts). pipeline/findings.py sends every finding already stored (or sent
-- before in the same batch) through upsert.sql instead.
-- Revisions only need to grow (an exporter's cursor), so one nextval per statement is enough.
INSERT INTO findings (
    finding_id, type, severity, title, description, account_id, principal, region,
    first_seen, last_seen, event_count, score, detector, model_version, evidence,
    status, created_at, updated_at, version, revision
)
VALUES (
    $finding_id, $type, $severity, $title, $description, $account_id, $principal, $region,
    $first_seen, $last_seen, $event_count, $score, $detector, $model_version, $evidence,
    'active', $now, $now, 1, nextval('finding_revision')
);
