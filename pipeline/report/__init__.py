"""Reports for people: the self-contained HTML page, its charts, and printed tables."""
