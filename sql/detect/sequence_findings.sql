-- The findings attack sequences are built from: every active finding but the sequences
-- themselves, with how many principals its detector and type fired for (its prevalence), and the
-- number of principals in the lake's findings' accounts.
-- Grain: one row per finding. Columns: finding_id, type_principals.
-- Why: a signal that fires for a good share of the organisation (a Sigma rule matching routine
-- cross-account role use) says little about one principal; as a stage of an attack it would turn
-- every busy principal into a sequence.
SELECT
    finding_id,
    count(DISTINCT principal) OVER (PARTITION BY detector, type) AS type_principals
FROM findings
WHERE status = 'active' AND detector <> $detector
ORDER BY finding_id;
