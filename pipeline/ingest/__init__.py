"""Ingest: CloudTrail objects from S3 or a folder, decoded, normalized and written to the lake."""
