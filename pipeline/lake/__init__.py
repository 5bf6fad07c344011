"""The Parquet lake and its DuckDB file: layout, schema, connections, the writer's lock, shards."""
