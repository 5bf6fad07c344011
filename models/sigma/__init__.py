"""Sigma rules for CloudTrail: load packs, map Sigma's fields to the lake, compile to DuckDB SQL."""
