"""Evaluation: labels of a synthetic organisation, the yardstick, the eval matrix, the demo."""
