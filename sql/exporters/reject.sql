-- One finding the destination refused on its own. Parameters: $destination, $finding_id,
-- $revision, $reason, $now.
INSERT INTO export_rejects (destination, finding_id, revision, reason, rejected_at)
VALUES ($destination, $finding_id, $revision, $reason, $now)
ON CONFLICT DO NOTHING;
