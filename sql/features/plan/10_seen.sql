-- seen: every principal of the lake, with what a feature run needs to know before it starts, from
-- one scan of the lake (each scan of many small files costs seconds before it reads a row).
-- Grain: one row per (principal_key, account_id) with an event in the lake.
-- Columns: principal_kind, session_issuer_name, first_new (its earliest event ingested after
--   $cursor; every event when $cursor is NULL), last_event, ingested_through (its newest
--   ingested_at), addresses (the distinct source addresses of its events that are IPs).
-- Why: the run's hours (range.sql), the addresses it has to look up and the principals' ids
-- (keys.sql) all come from here, not from three scans. Kind and issuer are properties of the
-- principal (its key is built from them): kept once here, not on every event.
CREATE OR REPLACE TEMP TABLE seen AS
WITH source AS (
    SELECT
        principal_key,
        account_id,
        principal_kind,
        session_issuer_name,
        event_time,
        ingested_at,
        source_ip_address,
        coalesce(source_is_ip, false) AND source_ip_address IS NOT NULL AS is_ip
    FROM events
),

aggregated AS (
    -- By principal and address first: one hash table, cheaper than a DISTINCT list per principal.
    SELECT
        principal_key,
        account_id,
        source_ip_address,
        is_ip,
        any_value(principal_kind) AS principal_kind,
        any_value(session_issuer_name) AS session_issuer_name,
        min(event_time) FILTER (WHERE $cursor IS NULL OR ingested_at > $cursor) AS first_new,
        max(event_time) AS last_event,
        max(ingested_at) AS ingested_through
    FROM source
    GROUP BY principal_key, account_id, source_ip_address, is_ip
),

final AS (
    SELECT
        principal_key,
        account_id,
        any_value(principal_kind) AS principal_kind,
        any_value(session_issuer_name) AS session_issuer_name,
        min(first_new) AS first_new,
        max(last_event) AS last_event,
        max(ingested_through) AS ingested_through,
        list(source_ip_address) FILTER (WHERE is_ip) AS addresses
    FROM aggregated
    GROUP BY principal_key, account_id
)

SELECT * FROM final;
