-- peers: when each peer group was first seen. A peer table: computed once from every shard's
-- gathered rows, then given to every shard.
-- Grain: one row per peer_group.
-- Columns: since (the first hour any member had an event), member_since (each member's since,
--   so that an hour counts only the members that existed by then: 30_novelty.sql).
CREATE OR REPLACE TEMP TABLE peers AS
SELECT peer_group, min(since) AS since, list(since ORDER BY since) AS member_since
FROM principals
GROUP BY peer_group;
