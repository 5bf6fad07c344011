-- keys: every principal of the lake with a small integer id, which the shard tables use instead
-- of the (principal_key, account_id) pair. Each shard is given its own accounts' rows.
-- Grain: one row per (principal_key, account_id) with an event in the lake.
-- Columns: pid (1..n, in key order: rows ordered by pid are in key order), principal_key,
--   account_id, principal_kind, session_issuer_name.
-- Why: the shard tables group and join by principal millions of times; an integer is hashed and
-- compared far faster than a long ARN and an account number. A principal with no event in a
-- run's history has an id and no rows.
SELECT
    row_number() OVER (ORDER BY principal_key, account_id)::INTEGER AS pid,
    principal_key,
    account_id,
    principal_kind,
    session_issuer_name
FROM seen;
