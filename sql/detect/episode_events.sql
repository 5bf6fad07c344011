-- episode_events: from here on in this connection, `events` is the events of the principals with
-- an episode (the registered table `episode_principals`: principal_key, account_id); the lake's
-- view becomes `lake_events`. The explanations (events_enriched.sql, then each finding's profile
-- and sources) only select those principals' rows: enriching every principal's 30 days for them
-- was most of their cost. The rules, which need every event, have run before.
ALTER VIEW events RENAME TO lake_events;

CREATE VIEW events AS
SELECT e.*
FROM lake_events AS e
SEMI JOIN episode_principals AS p USING (principal_key, account_id);
