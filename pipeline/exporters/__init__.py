"""Exporters: one module per output format or SIEM."""
