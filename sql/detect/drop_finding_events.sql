-- Remove from `enriched` the events inside an active finding's span (`finding_spans`), except
-- those of the episodes being explained (`episode_spans`): a profile is normal behaviour, and an
-- earlier finding's StopLogging is not "rare" for this principal, it is an incident.
DELETE FROM enriched AS e
WHERE EXISTS (
    SELECT 1
    FROM finding_spans AS f
    WHERE f.principal_key = e.principal_key
        AND f.account_id = e.account_id
        AND e.event_time >= f.first_seen
        AND e.event_time <= f.last_seen
)
AND NOT EXISTS (
    SELECT 1
    FROM episode_spans AS s
    WHERE s.principal_key = e.principal_key
        AND s.account_id = e.account_id
        AND e.event_time >= s.span_start
        AND e.event_time < s.span_end
)
