-- incidents: the spans of the shard's principals' events that are left out of history: active
-- Medium and High findings (`finding_spans`, read by findings/spans.sql when the run was
-- planned), overlapping spans of a principal merged into one.
-- Grain: one row per (pid, merged span). Columns: pid, first_seen, last_seen (inclusive).
-- Why: `calls` marks each event inside a span (`in_finding`) with one join: merged spans never
-- overlap, so the join finds at most one span per event and never counts an event twice (a
-- rule's finding and the model's finding often cover the same hours).
CREATE OR REPLACE TEMP TABLE incidents AS
WITH source AS (
    SELECT k.pid, s.first_seen, s.last_seen
    FROM finding_spans AS s
    JOIN keys AS k USING (principal_key, account_id)
),

ordered AS (
    -- How far the principal's earlier spans reach: a span starting after it starts an island.
    SELECT
        *,
        max(last_seen) OVER (
            PARTITION BY pid ORDER BY first_seen, last_seen
            ROWS BETWEEN UNBOUNDED PRECEDING AND 1 PRECEDING
        ) AS reach
    FROM source
),

islands AS (
    SELECT
        *,
        sum(CASE WHEN reach IS NULL OR first_seen > reach THEN 1 ELSE 0 END) OVER (
            PARTITION BY pid ORDER BY first_seen, last_seen
            ROWS UNBOUNDED PRECEDING
        ) AS island
    FROM ordered
),

final AS (
    SELECT pid, min(first_seen) AS first_seen, max(last_seen) AS last_seen
    FROM islands
    GROUP BY pid, island
)

SELECT * FROM final;
