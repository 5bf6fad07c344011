-- Full rows (with inside_aws from ip_info) of the events whose ids are in $ids, oldest first:
-- the candidates of every rule, fetched from the lake in one scan. $partitions (a list of
-- {event_date, account_id}, or NULL for every partition) names the partitions they lie in: the
-- filter on partition columns alone prunes the lake's files before any is opened, so the scan
-- reads the few partitions with a candidate instead of the whole lake (12 s of CPU at 10M events).
-- source_network and ua_family are where the call came from, as the features class it (ASN
-- organisation, else /24, else the service name; the agent's family): a rule whose finding is
-- one per place (Rule.episode 'actor') groups its matches by them.
SELECT
    e.*,
    i.inside_aws,
    coalesce(i.network, e.source_ip_address) AS source_network,
    ua_family(lower(coalesce(e.user_agent, ''))) AS ua_family  -- sql/views/macros.sql
FROM events AS e
LEFT JOIN ip_info AS i ON i.ip = e.source_ip_address
WHERE (
    $partitions IS NULL
    OR list_contains($partitions, {'event_date': e.event_date, 'account_id': e.account_id})
)
  AND e.event_id IN (SELECT unnest($ids))
ORDER BY e.event_time, e.event_id;
