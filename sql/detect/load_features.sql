-- Feature rows with window_start in [$start, $end) (a NULL bound is open), in key order.
SELECT *
FROM features
WHERE ($start IS NULL OR window_start >= $start)
  AND ($end IS NULL OR window_start < $end)
ORDER BY principal_key, account_id, window_start;
