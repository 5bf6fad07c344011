-- One line of the triage audit trail (`finding_actions`, sql/findings/schema.sql).
INSERT INTO finding_actions (finding_id, action, actor, reason, acted_at, suppression)
VALUES ($finding_id, $action, $actor, $reason, $now, $suppression);
