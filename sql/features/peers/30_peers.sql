-- peers: when each peer group was first seen. A peer table: computed once from every shard's
-- gathered rows, then given to every shard.
-- Grain: one row per peer_group.
-- Columns: since (the first hour any member had an event), second_since (the first hour a
--   second member had one, NULL for a group of one: from then on a member has a peer,
--   30_novelty.sql).
CREATE OR REPLACE TEMP TABLE peers AS
SELECT peer_group, min(since) AS since, (list(since ORDER BY since))[2] AS second_since
FROM principals
GROUP BY peer_group;
