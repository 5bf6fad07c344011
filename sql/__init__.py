"""The SQL of trailguard: views, features, detection, findings and exporters (package data)."""
