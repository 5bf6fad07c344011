-- The lake at a glance, for the header of the HTML report.
-- Grain: one row. Columns: first_event, last_event (event_time), events, principals (distinct
--   principal keys), accounts.
-- Why: a reader judges the findings against the size of what was watched: 30 findings over a
-- million events of 200 principals is a different story from 30 over a thousand.
SELECT
    min(event_time) AS first_event,
    max(event_time) AS last_event,
    count(*) AS events,
    count(DISTINCT principal_key) AS principals,
    count(DISTINCT account_id) AS accounts
FROM events;
