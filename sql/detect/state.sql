-- Detection state in the lake's database: the feature cursor and the address lookups.
-- feature_state holds the newest ingested_at already featurised and a SHA-256 of the feature SQL
-- (a change forces a full rebuild); ip_info caches geoip2fast answers per address.
CREATE TABLE IF NOT EXISTS feature_state (
    name              VARCHAR PRIMARY KEY,  -- 'features'
    ingested_through  TIMESTAMPTZ,
    columns           VARCHAR NOT NULL,     -- pipeline.features.feature_signature()
    updated_at        TIMESTAMPTZ NOT NULL
);

CREATE TABLE IF NOT EXISTS ip_info (
    ip          VARCHAR PRIMARY KEY,
    country     VARCHAR,   -- ISO 3166 code, NULL when unknown
    asn_name    VARCHAR,   -- ASN organisation, NULL when unknown
    network     VARCHAR,   -- ASN organisation, else the /24 (/48 for IPv6), or 'private'
    inside_aws  BOOLEAN,   -- AWS's address space or a private (VPC) address
    is_private  BOOLEAN
);
