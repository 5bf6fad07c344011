-- The objects (source_key) whose events have the ids $ids, over the `events` view.
SELECT DISTINCT source_key
FROM events
WHERE list_contains($ids, event_id);
