-- episode_events: from here on in this connection, `events` is the events of the principals with
-- an anomaly episode, read from rule_index (rule_index.sql keeps, for those principals' rows,
-- every column events_enriched.sql reads: a column it starts to read must be added there); the
-- lake's view becomes `lake_events`. The explanations (events_enriched.sql, then the episodes'
-- profiles and sources) only select those principals' rows: enriching every principal's 30 days
-- for them was most of their cost, and a scan of the lake of its own 10 s of CPU at 10M events.
-- The rules, which need every event, have run before.
ALTER VIEW events RENAME TO lake_events;

CREATE VIEW events AS
SELECT
    event_time,
    event_type,
    event_source,
    event_name_base,
    aws_region,
    error_code,
    read_only,
    source_is_ip,
    source_ip_address,
    user_agent,
    principal_key,
    principal_kind,
    account_id,
    session_issuer_name
FROM rule_index
WHERE of_episode;
