"""Detectors: one module each."""
