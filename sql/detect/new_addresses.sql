-- The source addresses of the lake (rule_index) that `known_ips` (the stored ip_info) does not
-- hold yet: each is looked up once (pipeline/enrich.py), so that every rule and explanation
-- sees its network and whether it lies inside AWS.
SELECT DISTINCT source_ip_address
FROM rule_index
WHERE source_is_ip AND source_ip_address NOT IN (SELECT ip FROM known_ips);
