-- The comment on the `events` view of the lake's own database: the digest of the definition it
-- was created with (pipeline/lake/views.py, refresh_views); no row while there is no such view.
SELECT comment
FROM duckdb_views()
WHERE view_name = 'events' AND schema_name = 'main' AND database_name = current_database()
