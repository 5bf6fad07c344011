-- Full rows (with inside_aws from ip_info) of the events whose ids are in $ids, oldest first:
-- the candidates of every rule, fetched from the lake in one scan.
SELECT e.*, i.inside_aws
FROM events AS e
LEFT JOIN ip_info AS i ON i.ip = e.source_ip_address
WHERE e.event_id IN (SELECT unnest($ids))
ORDER BY e.event_time, e.event_id;
