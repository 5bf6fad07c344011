-- A person's triage decision on one finding (pipeline/findings/triage.py): the new status, why,
-- who and when. A change of status is a new revision, so every exporter sends the finding again
-- with its status (OCSF status, Security Hub RecordState and Workflow); deciding what is already
-- so changes nothing. Parameters: $finding_id, $status, $reason, $actor, $now.
UPDATE findings
SET status = $status,
    status_reason = $reason,
    status_by = $actor,
    status_at = $now,
    updated_at = $now,
    revision = nextval('finding_revision')
WHERE finding_id = $finding_id AND status <> $status
RETURNING finding_id;
