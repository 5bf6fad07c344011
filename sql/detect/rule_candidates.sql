-- The candidate events of one exact rule (event_id, and its partition: event_date, account_id):
-- its prefilter over rule_index, so that Python only judges the few events the rule's predicate
-- must see. An empty list means "any".
-- Parameters: $since (events at or after it; all when NULL), $event_names, $identity_types
-- (lists of text), $outside_aws (only calls from addresses outside AWS), $agents (lower-case
-- user agent parts, any of which must occur), $workloads_only (only instance-id sessions and
-- principals/roles listed in $workloads).
-- $event_names and $workloads are matched with IN, not list_contains: the names in a filter
-- DuckDB applies in the scan (a quarter of the time for a list of several names), the workloads
-- in a hash join (a scan of the list per row made this query grow with the square of the
-- organisation: 10 s of CPU at 10M events). An address is outside AWS unless ip_info says it is
-- inside (every address of the lake is in ip_info).
SELECT event_id, event_date, account_id
FROM rule_index
WHERE ($since IS NULL OR event_time >= $since)
  AND (len($event_names) = 0 OR event_name_base IN (SELECT unnest($event_names)))
  AND (len($identity_types) = 0 OR list_contains($identity_types, identity_type))
  AND (
      NOT $outside_aws
      OR (
          coalesce(source_is_ip, false)
          AND NOT coalesce(source_ip_address IN (SELECT ip FROM ip_info WHERE inside_aws), false)
      )
  )
  AND (len($agents) = 0 OR len(list_filter($agents, lambda a: contains(agent, a))) > 0)
  AND (
      NOT $workloads_only
      OR regexp_matches(session_name, '^i-[0-9a-f]{8,17}$')
      OR principal_key IN (SELECT unnest($workloads))
      OR session_issuer_arn IN (SELECT unnest($workloads))
  );
