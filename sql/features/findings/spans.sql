-- spans: what the features leave out of every principal's history: the time spans of the active
-- Medium and High findings, read from the lake's `findings` table when a feature run is planned.
-- Grain: one row per distinct (principal_key, account_id, first_seen, last_seen).
-- Columns: principal_key, account_id, first_seen, last_seen (inclusive, as the findings store
--   them).
-- Why: an attack's calls are not normal behaviour. Counted as history, a principal's StopLogging
-- that was itself a finding makes its next StopLogging "not novel", and the attack's hours
-- inflate its baseline. The same findings stay out of the model's training window and of the
-- explanations' profiles (sql/detect/finding_spans.sql): one idea of "an incident" everywhere. A
-- Low finding is informational (a routine call flagged Low is still routine), and an archived
-- one is benign by an analyst's word: both stay history.
SELECT DISTINCT principal AS principal_key, account_id, first_seen, last_seen
FROM findings
WHERE status = 'active' AND account_id IS NOT NULL AND severity >= 4.0
ORDER BY ALL
