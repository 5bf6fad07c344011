"""The ``restless`` habits: real people's and machines' everyday irregularity (see habits.py)."""
