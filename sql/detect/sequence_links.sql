-- Who handed whom credentials: the identities a principal with findings created, gave keys to or
-- assumed, and the principal keys that then acted as them, for attack sequences
-- (pipeline/detect/sequences.py).
-- Input: `sequence_principals` (principal, account_id), registered: the principals of the active
--   findings. Only their calls can start a link, and only their calls can end one (a child with
--   no finding adds nothing to a sequence).
-- Grain: one row per (event_id, child principal key).
-- Columns: parent, account_id, event_id, event_time, event_name, child, child_account.
-- Why: an intruder's first identity is rarely the one that does the damage: it creates a user and
-- a key, or assumes a role, and carries on as that. A CreateUser / CreateAccessKey /
-- CreateLoginProfile names the user (`userName`; its calls have that identity_user_name), a
-- CreateRole the role (its sessions have it as session issuer), and an AssumeRole,
-- GetFederationToken or CreateAccessKey returns a key id that every later call made with it
-- carries (`identity_access_key_id`), in whichever account.
WITH source AS (
    SELECT
        e.principal_key AS parent,
        e.account_id,
        e.event_id,
        e.event_time,
        e.event_name,
        e.request_parameters,
        e.response_elements
    FROM events AS e
    JOIN sequence_principals AS p
        ON p.principal = e.principal_key AND p.account_id = e.account_id
    WHERE e.event_name IN (
        'CreateUser', 'CreateAccessKey', 'CreateLoginProfile', 'CreateRole', 'AssumeRole',
        'GetFederationToken'
    )
        AND e.error_code IS NULL
),

filtered AS (
    SELECT
        parent,
        account_id,
        event_id,
        event_time,
        event_name,
        CASE
            WHEN event_name IN ('CreateUser', 'CreateAccessKey', 'CreateLoginProfile')
                THEN json_extract_string(request_parameters, '$.userName')
        END AS user_name,
        CASE
            WHEN event_name = 'CreateRole'
                THEN json_extract_string(request_parameters, '$.roleName')
        END AS role_name,
        coalesce(
            json_extract_string(response_elements, '$.credentials.accessKeyId'),
            json_extract_string(response_elements, '$.accessKey.accessKeyId')
        ) AS key_id
    FROM source
),

children AS (
    SELECT
        e.principal_key AS child,
        e.account_id AS child_account,
        e.identity_type,
        e.identity_user_name,
        e.session_issuer_name,
        e.identity_access_key_id,
        min(e.event_time) AS first_call
    FROM events AS e
    JOIN sequence_principals AS p
        ON p.principal = e.principal_key AND p.account_id = e.account_id
    GROUP BY ALL
),

aggregated AS (
    SELECT f.*, c.child, c.child_account, c.first_call
    FROM filtered AS f
    JOIN children AS c
        ON c.identity_type = 'IAMUser'
        AND c.identity_user_name = f.user_name
        AND c.child_account = f.account_id
    UNION ALL
    SELECT f.*, c.child, c.child_account, c.first_call
    FROM filtered AS f
    JOIN children AS c
        ON c.session_issuer_name = f.role_name AND c.child_account = f.account_id
    UNION ALL
    SELECT f.*, c.child, c.child_account, c.first_call
    FROM filtered AS f
    JOIN children AS c ON c.identity_access_key_id = f.key_id
),

final AS (
    SELECT DISTINCT parent, account_id, event_id, event_time, event_name, child, child_account
    FROM aggregated
    -- the child acted after it was made (a namesake user of long ago is not the same identity)
    WHERE child <> parent AND first_call >= event_time - INTERVAL 5 MINUTE
)

SELECT * FROM final ORDER BY event_time, event_id, child;
