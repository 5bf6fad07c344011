"""The `trailguard` command: argument parsing and printing over the library's stage functions."""
