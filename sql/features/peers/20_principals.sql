-- principals: each principal's peer group. A peer table: computed once from every shard's
-- gathered rows, then given to every shard.
-- Grain: one row per (principal_key, account_id).
-- Columns: since, peer_group.
-- Why: the permission set for Identity Center sessions; the role family when it has other
-- members (the same pipeline role in other accounts); else kind and agent family.
CREATE OR REPLACE TEMP TABLE principals AS
SELECT
    p.principal_key,
    p.account_id,
    p.since,
    CASE
        WHEN starts_with(p.peer_hint, 'sso:') THEN p.peer_hint
        WHEN f.members >= 2 THEN 'family:' || p.role_family
        ELSE p.peer_hint || ':' || p.ua_family
    END AS peer_group
FROM profiles AS p
LEFT JOIN families AS f USING (role_family);
