-- A run stopped before delivering everything: keep the cursor, say why (secrets already removed).
-- Parameters: $destination, $error, $now.
INSERT INTO export_cursors AS c (destination, last_attempt_at, last_error)
VALUES ($destination, $now, $error)
ON CONFLICT (destination) DO UPDATE SET
    last_attempt_at = excluded.last_attempt_at,
    last_error = excluded.last_error;
