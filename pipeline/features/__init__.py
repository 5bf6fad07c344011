"""Features: runs sql/features/*.sql over the lake into the features table; knows no single
feature."""
