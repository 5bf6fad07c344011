-- Move the feature cursor to $ingested and remember the feature columns ($columns).
INSERT OR REPLACE INTO feature_state VALUES ('features', $ingested, $columns, now());
