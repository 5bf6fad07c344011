-- The events of each finding's window, for the report's event list: the principal's calls in
-- [first_seen, last_seen) (an anomaly episode's last_seen is the end of its last hour), the first
-- $limit per finding in time order, with how many there were in all.
-- Input: `report_spans`, registered by pipeline/report.py (finding_id, principal, account_id,
--   first_seen, last_seen). Exact-rule findings list their matching events by id instead
--   (sql/detect/events_by_id.sql): a rule matched some of the principal's calls, not all.
-- Columns: finding_id, event_time, event_source, event_name, source_ip_address, user_agent,
--   error_code, total (events in the window).
SELECT
    s.finding_id,
    e.event_time,
    e.event_source,
    e.event_name,
    e.source_ip_address,
    e.user_agent,
    e.error_code,
    count(*) OVER (PARTITION BY s.finding_id) AS total
FROM report_spans AS s
JOIN events AS e
    ON e.principal_key = s.principal
    AND e.account_id = s.account_id
    AND e.event_time >= s.first_seen
    AND e.event_time < s.last_seen
QUALIFY row_number() OVER (PARTITION BY s.finding_id ORDER BY e.event_time, e.event_id) <= $limit
ORDER BY s.finding_id, e.event_time, e.event_id;
