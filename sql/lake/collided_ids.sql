-- Event ids that objects' records collided with (quarantined by the lake writer: "eventID ...
-- collides with a different event already kept"), for `trailguard check --repair`: the objects
-- whose events hold those ids are read again too, in the same run, so that the collision is
-- found again and the lake keeps the same one of the two. $uris: the objects read again.
SELECT DISTINCT json_extract_string(raw, '$.event_id') AS event_id
FROM quarantine
WHERE list_contains($uris, source_key)
  AND starts_with(reason, 'eventID ')
  AND raw IS NOT NULL;
