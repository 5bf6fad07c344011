-- peer_first: the first hour anyone in a peer group showed a value. A peer table: computed once
-- from every shard's gathered rows, then given to every shard.
-- Grain: one row per (peer_group, dim, value).
-- Columns: first_window.
-- Why: "new for the whole peer group" compares a principal with its peers in every account. The
-- earliest of the members' own first sightings is the group's first sighting. Those leave the
-- events inside active findings out (gather/own_first.sql): one member's incident does not make
-- the same calls routine for its peers, nor for itself.
CREATE OR REPLACE TEMP TABLE peer_first AS
SELECT p.peer_group, o.dim, o.value, min(o.first_window) AS first_window
FROM own_first AS o
JOIN principals AS p USING (principal_key, account_id)
GROUP BY p.peer_group, o.dim, o.value;
