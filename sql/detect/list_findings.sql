-- Findings for `trailguard findings`: the most severe first, then the most recent activity
-- (`last_seen`), as the top findings of `trailguard run` and the demo are. Every filter is a
-- bind parameter and NULL means "any": $min_severity, $type (glob, e.g. 'Discovery:*'),
-- $principal (glob), $since (last_seen at or after), $status, $limit.
SELECT *
FROM findings
WHERE ($min_severity IS NULL OR severity >= $min_severity)
  AND ($type IS NULL OR type GLOB $type)
  AND ($principal IS NULL OR principal GLOB $principal)
  AND ($since IS NULL OR last_seen >= $since)
  AND ($status IS NULL OR status = $status)
ORDER BY severity DESC, last_seen DESC, finding_id
LIMIT $limit;
