"""Exact rules: one module per rule, each registering itself (see models/registry.py)."""
