-- Where one principal's calls in one episode came from: each (source_ip, user_agent, region)
-- in [$start, $end) with its event count. Feeds the evidence (and suppression by network/agent).
SELECT source_ip, user_agent, region, count(*) AS events
FROM enriched
WHERE principal_key = $principal AND account_id = $account
  AND window_start >= $start AND window_start < $end
GROUP BY source_ip, user_agent, region
ORDER BY events DESC, source_ip, user_agent, region;
