-- Mark each finding with the attack sequence it belongs to (pipeline/detect/sequences.py), after
-- every detection run: the sequences are recomputed from every active finding, so a finding that
-- no longer belongs to one is cleared and the others set.
-- Input: `sequence_members` (finding_id, sequence_id), registered.
UPDATE findings
SET sequence_id = m.sequence_id
FROM (
    SELECT f.finding_id, m.sequence_id
    FROM findings AS f
    LEFT JOIN sequence_members AS m ON m.finding_id = f.finding_id
    WHERE f.sequence_id IS NOT NULL OR m.sequence_id IS NOT NULL
) AS m
WHERE findings.finding_id = m.finding_id
    AND findings.sequence_id IS DISTINCT FROM m.sequence_id;
