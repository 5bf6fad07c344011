-- Lake-wide facts the exact rules' RuleContext carries (needs rule_index), one row per fact:
-- kind 'org_account' (every account the trail records events in: the organisation's own),
-- 'trail_bucket' (a bucket a trail was created or updated to write to) and 'admin_role' (a role
-- given the AdministratorAccess managed policy). A grant to an account outside the first list
-- leaves the organisation; a short lifecycle rule on the second erases the trail; passing one of
-- the third to new compute hands its power to whoever controls that compute.
SELECT DISTINCT 'org_account' AS kind, account_id AS value
FROM rule_index
WHERE account_id IS NOT NULL
UNION
SELECT DISTINCT 'trail_bucket', trail_bucket
FROM rule_index
WHERE trail_bucket IS NOT NULL
UNION
SELECT DISTINCT 'admin_role', admin_role
FROM rule_index
WHERE admin_role IS NOT NULL
ORDER BY kind, value;
