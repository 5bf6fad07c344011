-- feature_spans: the finding spans the stored feature rows left out of their history. Kept in the
-- lake's database beside the feature cursor (feature_state) and replaced with every write of the
-- feature table, in the same transaction.
-- Grain: one row per (principal_key, account_id, first_seen, last_seen) of spans.sql.
-- Why: a finding changes the history of every later hour of its principal (and of its peer
-- group's first sightings), but findings come after features: detection creates them from the
-- feature rows. Comparing the spans of now with the spans the rows were computed with
-- (changed.sql) tells the next feature run which hours are stale: new findings, a finding that
-- grew, and a finding an analyst archived (its events are history again).
CREATE TABLE IF NOT EXISTS feature_spans (
    principal_key  VARCHAR NOT NULL,
    account_id     VARCHAR NOT NULL,
    first_seen     TIMESTAMPTZ NOT NULL,
    last_seen      TIMESTAMPTZ NOT NULL
);
