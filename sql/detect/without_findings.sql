-- The feature rows of `training` (registered, with its row number `row_id`) whose hour overlaps
-- no span of `spans` (finding_spans.sql) of the same principal and account, in their order.
-- Why: an hour inside an active finding is not baseline; training on it teaches the model that
-- the attack is normal.
SELECT t.*
FROM training AS t
WHERE NOT EXISTS (
    SELECT 1
    FROM spans AS s
    WHERE s.principal_key = t.principal_key
        AND s.account_id = t.account_id
        AND t.window_start <= s.last_seen
        AND t.window_start + INTERVAL 1 HOUR > s.first_seen
)
ORDER BY t.row_id
