-- Archive a finding matched by a suppression rule (or seen only from trusted networks) and say
-- why in its evidence. Already archived findings are left alone (no new revision for exporters).
UPDATE findings
SET status = 'archived',
    evidence = json_merge_patch(evidence, json_object('suppressed', $reason)),
    updated_at = now(),
    revision = nextval('finding_revision')
WHERE finding_id = $finding_id AND status <> 'archived';
