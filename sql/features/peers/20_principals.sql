-- principals: each principal's peer group. A peer table: computed once from every shard's
-- gathered rows, then given to every shard.
-- Grain: one row per (principal_key, account_id).
-- Columns: since, peer_group.
-- Why: the permission set for Identity Center sessions; the role family when it has other
-- members (the same pipeline role in other accounts). Any other machine (a role without family,
-- a web identity) is compared with the group of machines it most
-- resembles in what it calls. By name that is its kind and dominant agent family (`role:boto3`);
-- it joins another group of two or more (a family, another kind and agent) when that group's
-- calls overlap its own more (Jaccard index of the API sets, the principal's own calls left out
-- of its own group's). A new CI role that deploys with terraform and then boto3 is a deployer,
-- not one of the instance roles that share its dominant agent: against those, its every
-- deployment call and its runners' network were new.
-- A move is made only into a group some member stays in. A principal that no other member of
-- its group stays with, and nobody joined (a group of one, or the others all left for groups
-- they resemble more), has no peers by name; it joins the group it resembles most when the two
-- share at least half of all the calls either makes (Jaccard >= 0.5), and is otherwise a group
-- of its own, whose every call is new for the organisation. People (IAM users, federated users,
-- root, Identity Center sessions) and AWS services never move, and no group of theirs is a
-- machine's peer. A tie goes to the first group by name.
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
        p.peer_hint IN ('role', 'role_session', 'web_identity')
        AND coalesce(f.members, 0) < 2 AS by_agent
    FROM profiles AS p
    LEFT JOIN families AS f USING (role_family)
),

apis AS (
    -- Every API a principal called (gather/api_sets.sql), inside findings or not.
    SELECT principal_key, account_id, api FROM api_sets
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
    WHERE regexp_matches(peer_group, '^(family|role|role_session|web_identity):')
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
    -- (`both_called`) and the group's APIs only this principal called (`own_only`), which leave
    -- the group's set when the principal is a member of it.
    SELECT
        b.principal_key,
        b.account_id,
        g.peer_group AS candidate,
        g.peer_group = b.peer_group AS own_group,
        count(*) AS both_called,
        count(*) FILTER (WHERE g.callers = 1 AND g.peer_group = b.peer_group) AS own_only
    FROM by_name AS b
    JOIN apis AS a USING (principal_key, account_id)
    JOIN group_apis AS g ON g.api = a.api
    WHERE b.by_agent
    GROUP BY b.principal_key, b.account_id, g.peer_group, b.peer_group
),

similarity AS (
    SELECT
        s.principal_key,
        s.account_id,
        s.candidate,
        s.own_group,
        (s.both_called - s.own_only)
        / (c.n_apis + z.n_apis - s.own_only - (s.both_called - s.own_only))::DOUBLE AS jaccard
    FROM shared AS s
    JOIN api_counts AS c USING (principal_key, account_id)
    JOIN group_sizes AS z ON z.peer_group = s.candidate
),

choices AS (
    -- The most alike other group, and how alike the principal's own group is (NULL: no peers).
    SELECT
        principal_key,
        account_id,
        first(candidate ORDER BY jaccard DESC, candidate) FILTER (WHERE NOT own_group) AS other,
        max(jaccard) FILTER (WHERE NOT own_group) AS other_jaccard,
        max(jaccard) FILTER (WHERE own_group) AS own_jaccard
    FROM similarity
    GROUP BY principal_key, account_id
),

wishes AS (
    -- Where each principal grouped by agent would go: the other group, when more alike.
    SELECT
        b.principal_key,
        b.account_id,
        b.peer_group,
        c.other,
        c.other_jaccard,
        coalesce(c.other_jaccard > c.own_jaccard, false) AS wants
    FROM by_name AS b
    LEFT JOIN choices AS c USING (principal_key, account_id)
    WHERE b.by_agent
),

keepers AS (
    -- Members of each group by name that do not want to leave it (families: all of them).
    SELECT b.peer_group, count(*) AS members
    FROM by_name AS b
    LEFT JOIN wishes AS w USING (principal_key, account_id)
    WHERE NOT coalesce(w.wants, false)
    GROUP BY b.peer_group
),

moves AS (
    -- A move is made only into a group someone stays in: never into one its members all leave.
    SELECT w.*, w.wants AND coalesce(k.members, 0) >= 1 AS moved
    FROM wishes AS w
    LEFT JOIN keepers AS k ON k.peer_group = w.other
),

stayers AS (
    -- Members that stay in each group by name once the others have moved.
    SELECT b.peer_group, count(*) AS members
    FROM by_name AS b
    LEFT JOIN moves AS m USING (principal_key, account_id)
    WHERE NOT coalesce(m.moved, false)
    GROUP BY b.peer_group
),

arrivals AS (
    SELECT other AS peer_group, count(*) AS members FROM moves WHERE moved GROUP BY other
),

final AS (
    SELECT
        b.principal_key,
        b.account_id,
        b.since,
        CASE
            WHEN m.moved THEN m.other
            -- Alone in its group by name (nobody stays, nobody arrived): the most alike group
            -- that keeps members, when the two share half of all the calls either makes.
            WHEN
                b.by_agent
                AND s.members = 1
                AND coalesce(a.members, 0) = 0
                AND m.other_jaccard >= 0.5
                AND coalesce(t.members, 0) >= 1
                THEN m.other
            ELSE b.peer_group
        END AS peer_group
    FROM by_name AS b
    LEFT JOIN moves AS m USING (principal_key, account_id)
    LEFT JOIN stayers AS s ON s.peer_group = b.peer_group
    LEFT JOIN arrivals AS a ON a.peer_group = b.peer_group
    LEFT JOIN stayers AS t ON t.peer_group = m.other
)

SELECT * FROM final;
