-- Feature windows per day, for the message of a training that finds too few in its baseline
-- (pipeline/detect/baseline.py): where in the lake's history the windows are.
SELECT CAST(window_start AS DATE) AS day, count(*) AS windows
FROM features
GROUP BY 1
ORDER BY 1;
