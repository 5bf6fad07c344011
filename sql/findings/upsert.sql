-- Insert a finding, or update it when something material changed. The episode may have grown
-- (first_seen only moves back, last_seen only forward); status (archived by a person or a
-- suppression rule) and created_at are kept. Parameters: every column of `findings` but
-- status/created_at/updated_at/version/revision, plus $now.
INSERT INTO findings AS f (
    finding_id, type, severity, title, description, account_id, principal, region,
    first_seen, last_seen, event_count, score, detector, model_version, evidence,
    status, created_at, updated_at, version, revision
)
VALUES (
    $finding_id, $type, $severity, $title, $description, $account_id, $principal, $region,
    $first_seen, $last_seen, $event_count, $score, $detector, $model_version, $evidence,
    'active', $now, $now, 1, nextval('finding_revision')
)
ON CONFLICT (finding_id) DO UPDATE SET
    type = excluded.type,
    severity = excluded.severity,
    title = excluded.title,
    description = excluded.description,
    first_seen = least(f.first_seen, excluded.first_seen),
    last_seen = greatest(f.last_seen, excluded.last_seen),
    event_count = excluded.event_count,
    score = excluded.score,
    model_version = excluded.model_version,
    evidence = excluded.evidence,
    updated_at = excluded.updated_at,
    version = f.version + 1,
    revision = nextval('finding_revision')
WHERE f.event_count IS DISTINCT FROM excluded.event_count
   OR f.last_seen < excluded.last_seen
   OR f.first_seen > excluded.first_seen
   OR f.severity IS DISTINCT FROM excluded.severity
   OR f.type IS DISTINCT FROM excluded.type;
