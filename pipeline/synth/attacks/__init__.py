"""Attack techniques, one module per tactic; each technique registers itself (see scenario.py)."""
