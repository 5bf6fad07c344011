"""trailguard library: ingest, normalize, lake, features, findings, exporters (no Prefect here)."""
