"""Synthetic AWS organisation: CloudTrail delivery of a benign population plus labelled attacks."""
