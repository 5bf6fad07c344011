-- peers: when each peer group was first seen. A peer table: computed once from every shard's
-- gathered rows, then given to every shard.
-- Grain: one row per peer_group.
-- Columns: since (the first hour any member had an event).
CREATE OR REPLACE TEMP TABLE peers AS
SELECT peer_group, min(since) AS since FROM principals GROUP BY peer_group;
