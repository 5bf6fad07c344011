-- Findings for `trailguard findings`, newest activity first. Every filter is a bind parameter
-- and NULL means "any": $min_severity, $type (glob, e.g. 'Discovery:*'), $principal (glob),
-- $since (last_seen at or after), $status, $limit.
SELECT *
FROM findings
WHERE ($min_severity IS NULL OR severity >= $min_severity)
  AND ($type IS NULL OR type GLOB $type)
  AND ($principal IS NULL OR principal GLOB $principal)
  AND ($since IS NULL OR last_seen >= $since)
  AND ($status IS NULL OR status = $status)
ORDER BY last_seen DESC, severity DESC, finding_id
LIMIT $limit;
