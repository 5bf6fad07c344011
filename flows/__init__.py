"""Prefect flows: thin wrappers over pipeline/ and models/."""
