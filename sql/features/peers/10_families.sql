-- families: how many principals share a role family, across the organisation. A peer table:
-- computed once from every shard's gathered rows, then given to every shard.
-- Grain: one row per role_family.
-- Columns: members.
-- Why: the same pipeline role in other accounts is a principal's closest peer group, but only
-- when the family has other members.
CREATE OR REPLACE TEMP TABLE families AS
SELECT role_family, count(*) AS members
FROM profiles
WHERE role_family IS NOT NULL
GROUP BY role_family;
