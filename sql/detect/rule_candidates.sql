-- Candidate events for one exact rule: its prefilter, applied in the lake so that Python only
-- sees the few events the rule's predicate must judge. A rule's empty list means "any".
-- Parameters: $since (events at or after), $event_names, $identity_types (lists of text),
-- $outside_aws (only calls from addresses outside AWS), $agents (lower-case user agent parts).
-- $workloads_only keeps instance-id sessions and principals/roles listed in $workloads.
-- inside_aws comes from the ip_info lookups (NULL when the source is not an address).
SELECT e.*, i.inside_aws
FROM events AS e
LEFT JOIN ip_info AS i ON i.ip = e.source_ip_address
WHERE ($since IS NULL OR e.event_time >= $since)
  AND (len($event_names) = 0 OR list_contains($event_names, e.event_name_base))
  AND (len($identity_types) = 0 OR list_contains($identity_types, e.identity_type))
  AND (NOT $outside_aws OR (e.source_is_ip AND NOT coalesce(i.inside_aws, false)))
  AND (
      len($agents) = 0
      OR len(list_filter($agents, lambda a: contains(lower(coalesce(e.user_agent, '')), a))) > 0
  )
  AND (
      NOT $workloads_only
      OR regexp_matches(coalesce(e.session_name, ''), '^i-[0-9a-f]{8,17}$')
      OR list_contains($workloads, e.principal_key)
      OR list_contains($workloads, e.session_issuer_arn)
  )
ORDER BY e.event_time, e.event_id;
