-- episode_enriched: `enriched` cut down to the principals with an episode (the registered table
-- `episode_principals`: principal_key, account_id). Each finding's profile and sources
-- (profile.sql, episode_sources.sql) select one principal's rows: they then read a few percent
-- of the lake's rows instead of all of it once per finding. The rows kept are unchanged.
CREATE OR REPLACE TEMP TABLE enriched AS
SELECT e.*
FROM enriched AS e
SEMI JOIN episode_principals AS p USING (principal_key, account_id);
