"""trailguard library: one sub-package per stage (ingest, lake, features, detect, findings, export,
evaluation, report, cli) and the synthetic organisation. No Prefect here."""
