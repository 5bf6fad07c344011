"""Findings: the Finding type with its typed evidence, the store, views for people, suppression."""
