-- Archive a finding matched by a suppression rule (or seen only from trusted networks) and say
-- why, in its status columns and its evidence. Already archived findings are left alone (no new
-- revision for exporters), and so is a finding a person unarchived: their decision stands.
UPDATE findings
SET status = 'archived',
    evidence = json_merge_patch(evidence, json_object('suppressed', $reason)),
    status_reason = $reason,
    status_by = 'suppression',
    status_at = now(),
    updated_at = now(),
    revision = nextval('finding_revision')
WHERE finding_id = $finding_id
  AND status <> 'archived'
  AND NOT EXISTS (
      SELECT 1 FROM finding_actions AS a
      WHERE a.finding_id = $finding_id AND a.action = 'unarchive'
  )
RETURNING finding_id;
