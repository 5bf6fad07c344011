-- api_sets: every API each principal called in the run's range, inside findings or not. A
-- gathered table: peers/ sees the whole organisation's.
-- Grain: one row per (principal_key, account_id, api).
-- Why: the peer group of a machine without a family is the group whose calls resemble its own
-- (peers/20_principals.sql). Whom a principal resembles is who it is, like its agent family in
-- profiles.sql, not what it learned: it counts every call, so that a finding created or archived
-- later does not move a principal to another group, and a run that recomputes only the hours a
-- new finding made stale gives the same groups as a full rebuild (while the lake holds less than
-- the history a run looks back over).
CREATE OR REPLACE TEMP TABLE api_sets AS
SELECT DISTINCT k.principal_key, k.account_id, s.value AS api
FROM sightings AS s
JOIN keys AS k USING (pid)
WHERE s.dim = 'api';
