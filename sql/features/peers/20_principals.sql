-- principals: each principal's peer group. A peer table: computed once from every shard's
-- gathered rows, then given to every shard.
-- Grain: one row per (principal_key, account_id).
-- Columns: since, peer_group.
-- Why: the permission set for Identity Center sessions; the role family when it has other
-- members (the same pipeline role in other accounts). Any other principal is compared with the
-- group of machines it most resembles in what it calls: its own kind and agent family
-- (`role:boto3`), or another group of two or more non-Identity-Center principals whose calls
-- overlap its own more (Jaccard index of the API sets, the principal itself left out of its
-- group's). A new CI role that deploys with terraform and then boto3 is a deployer, not one of
-- the instance roles that share its dominant agent: against those, its every deployment call
-- and its runners' network are new. No constant is tuned: the default group keeps a principal
-- unless another resembles it strictly more, and a tie goes to the first group by name.
CREATE OR REPLACE TEMP TABLE principals AS
WITH by_name AS (
    -- The peer group by who a principal is: its permission set, family, or kind and agent.
    SELECT
        p.principal_key,
        p.account_id,
        p.since,
        CASE
            WHEN starts_with(p.peer_hint, 'sso:') THEN p.peer_hint
            WHEN f.members >= 2 THEN 'family:' || p.role_family
            ELSE p.peer_hint || ':' || p.ua_family
        END AS peer_group,
        NOT starts_with(p.peer_hint, 'sso:') AND coalesce(f.members, 0) < 2 AS by_agent
    FROM profiles AS p
    LEFT JOIN families AS f USING (role_family)
),

apis AS (
    SELECT DISTINCT principal_key, account_id, value AS api
    FROM own_first
    WHERE dim = 'api'
),

api_counts AS (
    SELECT principal_key, account_id, count(*) AS n_apis
    FROM apis
    GROUP BY principal_key, account_id
),

candidates AS (
    -- Groups of machines a principal may be compared with: two members or more.
    SELECT peer_group
    FROM by_name
    WHERE NOT starts_with(peer_group, 'sso:')
    GROUP BY peer_group
    HAVING count(*) >= 2
),

group_apis AS (
    -- How many of each candidate group's members called each API.
    SELECT b.peer_group, a.api, count(*) AS callers
    FROM by_name AS b
    JOIN apis AS a USING (principal_key, account_id)
    WHERE b.peer_group IN (SELECT peer_group FROM candidates)
    GROUP BY b.peer_group, a.api
),

group_sizes AS (
    SELECT peer_group, count(*) AS n_apis FROM group_apis GROUP BY peer_group
),

shared AS (
    -- For each principal grouped by agent and each candidate group: the APIs both called
    -- (`both`) and the group's APIs only this principal called (`own_only`), which leave the
    -- group when the principal is a member of it.
    SELECT
        b.principal_key,
        b.account_id,
        g.peer_group AS candidate,
        count(*) AS both_called,
        count(*) FILTER (WHERE g.callers = 1 AND g.peer_group = b.peer_group) AS own_only
    FROM by_name AS b
    JOIN apis AS a USING (principal_key, account_id)
    JOIN group_apis AS g ON g.api = a.api
    WHERE b.by_agent
    GROUP BY b.principal_key, b.account_id, g.peer_group
),

similarity AS (
    SELECT
        s.principal_key,
        s.account_id,
        s.candidate,
        (s.both_called - s.own_only)
        / (c.n_apis + z.n_apis - s.own_only - (s.both_called - s.own_only))::DOUBLE AS jaccard
    FROM shared AS s
    JOIN api_counts AS c USING (principal_key, account_id)
    JOIN group_sizes AS z ON z.peer_group = s.candidate
),

nearest AS (
    SELECT
        principal_key,
        account_id,
        first(candidate ORDER BY jaccard DESC, candidate) AS candidate,
        max(jaccard) AS jaccard
    FROM similarity
    GROUP BY principal_key, account_id
),

final AS (
    SELECT
        b.principal_key,
        b.account_id,
        b.since,
        CASE
            WHEN b.by_agent AND n.jaccard > coalesce(d.jaccard, 0) THEN n.candidate
            ELSE b.peer_group
        END AS peer_group
    FROM by_name AS b
    LEFT JOIN nearest AS n USING (principal_key, account_id)
    LEFT JOIN similarity AS d
        ON
            d.principal_key = b.principal_key
            AND d.account_id = b.account_id
            AND d.candidate = b.peer_group
)

SELECT * FROM final;
