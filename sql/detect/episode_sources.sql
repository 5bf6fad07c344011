-- Where each episode's calls came from: the distinct (source_ip, user_agent, region) of its
-- principal's events in [span_start, span_end), for every episode of `episode_spans` at once
-- (see episode_profiles.sql). Feeds the evidence (and suppression by network/agent).
SELECT DISTINCT s.episode, e.source_ip, e.user_agent, e.region
FROM episode_spans AS s
JOIN enriched AS e
    ON e.principal_key = s.principal_key
    AND e.account_id = s.account_id
    AND e.window_start >= s.span_start
    AND e.window_start < s.span_end
ORDER BY ALL;
