"""Where CloudTrail objects come from: S3 or a local folder laid out like a bucket."""
