-- Mark in `enriched` the events inside an active finding's span (`finding_spans`): a profile is
-- normal behaviour, and an earlier finding's StopLogging is not "rare" for this principal, it is
-- an incident. Marked, not deleted: an episode being explained keeps all of its own events (what
-- it did), while for every episode's history (episode_profiles.sql: hours_before, active_hours)
-- they do not count. Deleting all but the explained episodes' events let one episode's events
-- be the history of a later episode of the same principal explained in the same run, which
-- then showed "no new values" where the features, which leave them out, saw new regions.
UPDATE enriched AS e
SET in_finding = true
WHERE EXISTS (
    SELECT 1
    FROM finding_spans AS f
    WHERE f.principal_key = e.principal_key
        AND f.account_id = e.account_id
        AND e.event_time >= f.first_seen
        AND e.event_time <= f.last_seen
)
