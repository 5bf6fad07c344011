-- finding_spans: the time spans of the active Medium and High findings, per principal and
-- account (a Low finding is informational: a daily ListBuckets flagged Low is still routine).
-- Why: what a finding covers is not normal behaviour. Its events must stay out of every baseline
-- (the model's training window, the profiles explanations compare with), or a principal's later
-- finding lists an attack's StopLogging as merely "rare" in its profile (issue 16, item 10).
SELECT principal AS principal_key, account_id, first_seen, last_seen
FROM findings
WHERE status = 'active' AND account_id IS NOT NULL AND severity >= 4.0
