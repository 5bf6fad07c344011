-- counted_index: the rows of rule_index that counting rules judge (events of their names, whose
-- `counted` columns rule_index.sql kept), so that each counting rule's window query
-- (threshold_candidates.sql) scans these few rows rather than every event of the lake.
CREATE OR REPLACE TEMP TABLE counted_index AS
SELECT *
FROM rule_index
WHERE counted IS NOT NULL;
