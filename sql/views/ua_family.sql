-- ua_family(ua): the family of a lower-cased user agent ('' when there is none), e.g. 'aws-cli/2',
-- 'boto3', 'console', 'terraform', 'tool:pacu'. The full string changes with every CLI/SDK release
-- (and attackers copy it), while a *new family* for a principal is meaningful; 'tool:' families
-- are offensive tooling. Created beside the `events` view (pipeline/state.py), so the features
-- (sql/features/shard/10_calls.sql), the explanations (sql/detect/events_enriched.sql) and ad-hoc
-- queries classify agents alike. Callers apply it to each distinct agent, not to each event.
CREATE OR REPLACE MACRO ua_family(ua) AS
    CASE
        WHEN regexp_matches(ua, 'kali|parrot|pentoo') THEN 'tool:pentest-os'
        WHEN ua LIKE '%pacu%' THEN 'tool:pacu'
        WHEN ua LIKE '%stratus-red-team%' THEN 'tool:stratus'
        WHEN ua LIKE '%python-requests%' THEN 'tool:python-requests'
        WHEN regexp_matches(ua, '^\[?curl/') THEN 'tool:curl'
        WHEN ua LIKE '%exec-env/aws_lambda%' OR ua LIKE 'awslambda-worker%' THEN 'sdk:lambda'
        WHEN ua LIKE '%exec-env/aws_ecs%' THEN 'sdk:ecs'
        WHEN ua LIKE '%terraform%' THEN 'terraform'
        WHEN ua LIKE '%cloudformation%' THEN 'cloudformation'
        WHEN regexp_matches(ua, '^\[?aws-cli/1') THEN 'aws-cli/1'
        WHEN regexp_matches(ua, '^\[?aws-cli/2') THEN 'aws-cli/2'
        WHEN ua LIKE '%boto3%' OR ua LIKE '%botocore%' THEN 'boto3'
        WHEN ua LIKE 'aws-sdk-js%' THEN 'sdk:js'
        WHEN ua LIKE 'aws-sdk-java%' THEN 'sdk:java'
        WHEN ua LIKE 'aws-sdk-go%' THEN 'sdk:go'
        WHEN ua LIKE '%mozilla/%' OR ua = 'aws internal' OR ua LIKE '%console%' THEN 'console'
        WHEN regexp_matches(ua, '\.amazonaws\.com$') THEN 'aws-service'
        WHEN ua = '' THEN 'none'
        ELSE 'other'
    END;
