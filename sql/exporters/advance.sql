-- A batch reached the destination: move its cursor to the batch's last revision (never back).
-- Parameters: $destination, $revision, $sent, $now.
INSERT INTO export_cursors AS c (destination, revision, sent_total, last_success_at, last_attempt_at)
VALUES ($destination, $revision, $sent, $now, $now)
ON CONFLICT (destination) DO UPDATE SET
    revision = greatest(c.revision, excluded.revision),
    sent_total = c.sent_total + excluded.sent_total,
    last_success_at = excluded.last_success_at,
    last_attempt_at = excluded.last_attempt_at,
    last_error = NULL;
