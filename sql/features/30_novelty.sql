-- Family: novelty. What a principal did in an hour that it had never done before: APIs, source
-- networks (ASN organisation, else /24) and user agent families of the calls made from an
-- address (not those an AWS service made on its behalf: shard/30_sightings.sql), countries,
-- regions, and hours of the day.
-- Grain: one row per (pid, window_start) with events in the range.
-- Columns: peer_group (descriptive), novel_apis, novel_sensitive_apis (novel APIs in a sensitive
--   category, i.e. any but discovery), novel_peer_apis and novel_peer_sensitive_apis (new for the
--   peer group as a whole, not only for the principal; 0 while the principal is the group's
--   only member), novel_networks, novel_countries, novel_user_agents,
--   novel_regions, novel_hour (1 when the principal was never active at this hour of day),
--   ctx_cold_start (1 when judged against its peer group), ctx_new_peer_group (1 when that
--   group itself is new: fewer than $peer_learning of history in a lake that has more),
--   ctx_history_days.
-- Why: GuardDuty's anomaly detection is novelty against a profile of the identity itself; a
-- stolen key shows up as a new network, a new agent, new APIs. Novelty needs history: in the
-- first days of a lake everything is new, so nothing is counted before the peer group has
-- $peer_learning of history. A principal with less than $learning of its own history (a new
-- role, a new person, everyone in a lake's first week) is compared with its peer group
-- (for Identity Center sessions, the same permission set; for roles, the same role family, e.g.
-- `github-actions-deploy-348` and `-632`, when it has other members; else the group of machines
-- whose calls it most resembles, peers/20_principals.sql) instead: what none of its peers ever did is novel. History is everything in
-- [$history_start, window): the trailing history the run was given, less the events inside
-- active Medium and High findings (sql/features/findings/spans.sql). An attack's calls are not
-- normal behaviour: after a principal's StopLogging was itself a finding, its next StopLogging
-- is novel again, and one member's incident makes nothing routine for its peer group. The hour
-- itself still sees every value it showed, incident or not: a value is new in an hour when no
-- sighting of it outside a finding came before (own_first and peer_first count only those, so a
-- value only an incident showed has no row there). Archived findings (benign by an analyst's
-- word) and Low ones are history. Which principal is mature, and which group is new, still
-- counts every event: how long a principal has existed is not behaviour.
-- Ordering: detection creates findings from these rows, so the spans come after the features
-- that should leave them out. The feature run keeps the spans it used (findings/state.sql); the
-- next run recomputes from the first hour a new, grown or archived span changes
-- (findings/changed.sql), and `trailguard run` runs features and detection again from there
-- until the findings settle (pipeline/run.py).
-- Inputs: the shard's `keys` (plan/), `sightings` (shard/) and `own_first` (gather/), and the
-- organisation's `principals`, `peers` and `peer_first` (peers/: one peer group spans accounts
-- and shards).
WITH members AS (
    -- Each of the shard's principals with its peer group and both learning clocks.
    SELECT
        k.pid, p.peer_group, p.since AS principal_since, g.since AS peer_since, g.second_since
    FROM keys AS k
    JOIN principals AS p USING (principal_key, account_id)
    JOIN peers AS g ON g.peer_group = p.peer_group
),

filtered AS (
    SELECT
        s.*,
        m.peer_group,
        m.principal_since,
        m.peer_since,
        m.second_since,
        -- New: no sighting outside a finding before this hour (none at all: no row).
        coalesce(o.first_window >= s.window_start, true) AS own_new,
        coalesce(f.first_window >= s.window_start, true) AS peer_new
    FROM sightings AS s
    JOIN members AS m USING (pid)
    LEFT JOIN own_first AS o USING (pid, dim, value)
    LEFT JOIN peer_first AS f
        ON f.peer_group = m.peer_group AND f.dim = s.dim AND f.value = s.value
    WHERE s.window_start >= $window_start AND s.window_start < $window_end
),

aggregated AS (
    SELECT
        pid,
        window_start,
        any_value(peer_group) AS peer_group,
        any_value(principal_since) <= window_start - $learning AS mature,
        -- A peer group nobody has seen before, in a lake that has its history, is *new*: what
        -- its first member does is new for the organisation, not "still learning".
        any_value(peer_since) <= window_start - $peer_learning
            OR (SELECT min(since) FROM peers) <= window_start - $peer_learning AS peer_mature,
        any_value(peer_since) > window_start - $peer_learning AS new_group,
        -- Someone else in the group by this hour: "new for the group" of a group of one is only
        -- "new for itself", which novel_apis counts already.
        coalesce(any_value(second_since) <= window_start, false) AS has_peers,
        date_diff('hour', any_value(principal_since), window_start) / 24.0 AS ctx_history_days,
        count(*) FILTER (WHERE dim = 'api' AND own_new) AS own_apis,
        count(*) FILTER (WHERE dim = 'api' AND peer_new) AS peer_apis,
        count(*) FILTER (WHERE dim = 'api' AND own_new AND category <> 'discovery') AS own_sensitive,
        count(*) FILTER (WHERE dim = 'api' AND peer_new AND category <> 'discovery') AS peer_sensitive,
        count(*) FILTER (WHERE dim = 'network' AND own_new) AS own_networks,
        count(*) FILTER (WHERE dim = 'network' AND peer_new) AS peer_networks,
        count(*) FILTER (WHERE dim = 'country' AND own_new) AS own_countries,
        count(*) FILTER (WHERE dim = 'country' AND peer_new) AS peer_countries,
        count(*) FILTER (WHERE dim = 'user_agent' AND own_new) AS own_agents,
        count(*) FILTER (WHERE dim = 'user_agent' AND peer_new) AS peer_agents,
        count(*) FILTER (WHERE dim = 'region' AND own_new) AS own_regions,
        count(*) FILTER (WHERE dim = 'region' AND peer_new) AS peer_regions,
        count(*) FILTER (WHERE dim = 'hour' AND own_new) AS own_hour
    FROM filtered
    GROUP BY pid, window_start
),

final AS (
    -- Mature principals against themselves; young ones against their peers; nothing while
    -- neither has history (the learning period).
    SELECT
        pid,
        window_start,
        peer_group,
        CASE WHEN mature THEN own_apis WHEN peer_mature THEN peer_apis ELSE 0 END AS novel_apis,
        CASE WHEN mature THEN own_sensitive WHEN peer_mature THEN peer_sensitive ELSE 0 END
            AS novel_sensitive_apis,
        -- New for the whole peer group too: what nobody like this principal ever did (which
        -- needs somebody like it).
        CASE WHEN peer_mature AND has_peers THEN peer_apis ELSE 0 END AS novel_peer_apis,
        CASE WHEN peer_mature AND has_peers THEN peer_sensitive ELSE 0 END
            AS novel_peer_sensitive_apis,
        CASE WHEN mature THEN own_networks WHEN peer_mature THEN peer_networks ELSE 0 END
            AS novel_networks,
        CASE WHEN mature THEN own_countries WHEN peer_mature THEN peer_countries ELSE 0 END
            AS novel_countries,
        CASE WHEN mature THEN own_agents WHEN peer_mature THEN peer_agents ELSE 0 END
            AS novel_user_agents,
        CASE WHEN mature THEN own_regions WHEN peer_mature THEN peer_regions ELSE 0 END
            AS novel_regions,
        CASE WHEN mature THEN least(own_hour, 1) ELSE 0 END AS novel_hour,
        (NOT mature AND peer_mature)::INTEGER AS ctx_cold_start,
        (NOT mature AND peer_mature AND new_group)::INTEGER AS ctx_new_peer_group,
        ctx_history_days
    FROM aggregated
)

SELECT * FROM final
